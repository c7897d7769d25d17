"""The process's one `AsyncAnthropic`, on the SDK's aiohttp transport (cheaper per delta)."""

from __future__ import annotations

import anthropic

from bot.config import Settings


def make_claude_client(settings: Settings) -> anthropic.AsyncAnthropic:
    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    return anthropic.AsyncAnthropic(
        api_key=key,
        base_url=settings.anthropic_base_url,
        max_retries=settings.claude_max_retries,
        timeout=settings.claude_timeout_seconds,
        http_client=anthropic.DefaultAioHttpClient(),
    )

"""The process's one `AsyncAnthropic`, on the SDK's aiohttp transport (cheaper per delta), made
when first needed.

Importing the anthropic SDK imports all of its types at once: about 40 MiB and over a second of
CPU on a small machine. A bot nobody has talked to yet doesn't carry that, and its first answer
doesn't wait for it either: the first Slack request of any kind starts loading the SDK on a
worker thread (`Claude.warm`), and a Claude call made before that is done waits for it. Code
that holds an SDK object imports `anthropic` where it needs it: it is loaded by then.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import httpx2

from bot.config import Settings

if TYPE_CHECKING:
    import anthropic

log = logging.getLogger(__name__)


class Claude:
    """The process's Claude client, loaded on a worker thread by `warm()` or the first call."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loading: asyncio.Future[anthropic.AsyncAnthropic] | None = None

    @property
    def loading(self) -> bool:
        """Loading has begun (and may be done)."""
        return self._loading is not None

    def warm(self) -> None:
        """Start loading the SDK and making the client, unless that has begun already."""
        self._load()

    async def client(self) -> anthropic.AsyncAnthropic:
        # Shielded: a caller given up on (a Stop press) must not cancel the load for the others.
        return await asyncio.shield(self._load())

    def _load(self) -> asyncio.Future[anthropic.AsyncAnthropic]:
        if self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.to_thread(make_claude_client, self._settings))
        return self._loading

    async def count_tokens(self, **params: Any) -> int | None:
        """What `messages.count_tokens` makes of these parameters; None when it can't say (logged)."""
        client = await self.client()
        import anthropic

        try:
            counted = await client.messages.count_tokens(**params)
        except (anthropic.APIError, httpx2.TransportError) as exc:
            log.info("count_tokens failed (%s); keeping the estimate", exc)
            return None
        return counted.input_tokens

    async def close(self) -> None:
        if self._loading is None:
            return
        await asyncio.wait({self._loading})
        if not self._loading.cancelled() and self._loading.exception() is None:
            await self._loading.result().close()


def make_claude_client(settings: Settings) -> anthropic.AsyncAnthropic:
    import anthropic

    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    return anthropic.AsyncAnthropic(
        api_key=key,
        base_url=settings.anthropic_base_url,
        max_retries=settings.claude_max_retries,
        timeout=settings.claude_timeout_seconds,
        http_client=anthropic.DefaultAioHttpClient(),
    )

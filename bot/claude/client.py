"""The process's one `AsyncAnthropic`, on the SDK's aiohttp transport (cheaper per delta), made
when first needed.

Importing the anthropic SDK imports all of its types at once: about 40 MiB and over a second of
CPU on a small machine. A bot nobody has talked to yet doesn't carry that. The first Slack
request of any kind starts loading it on a worker thread (`Claude.warm`), usually well before
anyone asks a question; a Claude call made while it is still loading waits for it, which only
the first answer after a start can do. Code that holds an SDK object imports `anthropic` where
it needs it: it is loaded by then.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import httpx2

from bot.process.config import Settings

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
            self._loading.add_done_callback(_log_failure)
        return self._loading

    async def count_tokens(self, **params: Any) -> int | None:
        """What `messages.count_tokens` makes of these parameters; None when it can't say (logged)."""
        client = await self.client()
        import anthropic  # loaded now: `client` is one of its objects

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


def _log_failure(loading: asyncio.Future[anthropic.AsyncAnthropic]) -> None:
    """A broken install shows in the logs when the SDK first loads, whoever is waiting for it."""
    if not loading.cancelled() and (error := loading.exception()) is not None:
        log.error("could not load the anthropic SDK", exc_info=error)


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

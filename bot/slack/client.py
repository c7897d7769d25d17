"""One shared `AsyncWebClient` per process, with slack_sdk's own retry handlers."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.ratebudget import BudgetAwareRateLimitHandler, Budgets


def make_web_client(
    token: str | None, base_url: str, session: aiohttp.ClientSession, budgets: Budgets
) -> AsyncWebClient:
    """A client that retries 429s (honouring Retry-After, and shrinking the rate budget), 5xx and
    dropped connections.

    The shared `session` matters: without it slack_sdk opens a new connection pool per call.
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        timeout=30,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            BudgetAwareRateLimitHandler(budgets, max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )

"""The one path every Slack Web API call takes: the rate budget first, then slack_sdk.

`BudgetedWebClient` is slack_sdk's `AsyncWebClient` with `api_call` (which every method helper
funnels into) asking `SlackRateLimits` for the call's turn. Bolt builds a plain client per
request; `budgeted(...)` swaps in one of these before Bolt's authorization runs, so Bolt's own
calls (`auth.test`) are budgeted too.

A 429 is handled here rather than by slack_sdk's `AsyncRateLimitErrorRetryHandler`: that handler
sees neither the JSON body (so not the channel `chat.postMessage` is counted in) nor the budget,
and would retry around it. Here the budget is told, and the retry waits its turn like any call.

Reads a turn waits on (`auth.test`, `conversations.replies`, `users.info`, …) are single-flight:
identical calls in flight at the same moment, from any turn, become one call.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.process.metrics import SLACK_RATE_LIMITED
from bot.slack.rate_limits import SlackRateLimits

log = logging.getLogger(__name__)

SINGLE_FLIGHT = frozenset(
    {
        "auth.test",
        "chat.getPermalink",
        "conversations.history",
        "conversations.info",
        "conversations.members",
        "conversations.replies",
        "users.info",
        "users.list",
    }
)
RATE_LIMITED_RETRIES = 3


class ReadFlights:
    """Identical reads in flight share one call. The call runs in a task of its own, so a caller
    that gives up doesn't cancel it for the others."""

    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[AsyncSlackResponse]] = {}

    async def share(self, key: str, call: Callable[[], Awaitable[AsyncSlackResponse]]) -> AsyncSlackResponse:
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(call())
            self._flights[key] = flight
            flight.add_done_callback(lambda _: self._flights.pop(key, None))
        return await asyncio.shield(flight)

    def __len__(self) -> int:
        return len(self._flights)


class BudgetedWebClient(AsyncWebClient):
    def __init__(
        self, *, rate_limits: SlackRateLimits, flights: ReadFlights, workspace: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.rate_limits = rate_limits
        self.flights = flights
        self.workspace = workspace
        """Whose budget the calls spend: the workspace's id (enterprise id for org-wide events)."""

    async def api_call(  # type: ignore[override]
        self, api_method: str, *, http_verb: str = "POST", **kwargs: Any
    ) -> AsyncSlackResponse:
        if api_method in SINGLE_FLIGHT:
            return await self.flights.share(
                _flight_key(self.token, api_method, kwargs),
                lambda: self._budgeted(api_method, http_verb, kwargs),
            )
        return await self._budgeted(api_method, http_verb, kwargs)

    async def _budgeted(self, api_method: str, http_verb: str, kwargs: dict[str, Any]) -> AsyncSlackResponse:
        arguments = kwargs.get("json") or kwargs.get("data") or kwargs.get("params") or {}
        scope = self.rate_limits.scope(api_method, self.workspace, arguments)
        for attempt in range(RATE_LIMITED_RETRIES + 1):
            grant = await self.rate_limits.before_call(scope)
            try:
                return await super().api_call(api_method, http_verb=http_verb, **kwargs)
            except SlackApiError as exc:
                if exc.response.status_code != 429 or attempt == RATE_LIMITED_RETRIES:
                    raise
                SLACK_RATE_LIMITED.labels(api_method).inc()
                self.rate_limits.penalize(scope, _retry_after(exc))
                if scope is None:
                    await asyncio.sleep(_retry_after(exc))
            finally:
                if grant is not None:
                    grant.answered()
        raise AssertionError("unreachable")

    def for_workspace(self, workspace: str, token: str | None) -> BudgetedWebClient:
        """The same connection pool and budget, spending `workspace`'s calls with `token`."""
        return budgeted(self, self.rate_limits, self.flights, workspace=workspace, token=token)


def budgeted(
    template: AsyncWebClient,
    rate_limits: SlackRateLimits,
    flights: ReadFlights,
    *,
    workspace: str,
    token: str | None,
) -> BudgetedWebClient:
    """A budgeted copy of `template` (Bolt's per-request client, or the process's own)."""
    return BudgetedWebClient(
        rate_limits=rate_limits,
        flights=flights,
        workspace=workspace,
        token=token,
        base_url=template.base_url,
        timeout=template.timeout,
        ssl=template.ssl,
        proxy=template.proxy,
        session=template.session,
        trust_env_in_session=template.trust_env_in_session,
        headers=dict(template.headers),
        team_id=template.default_params.get("team_id"),
        logger=template.logger,
        retry_handlers=list(template.retry_handlers or []),
    )


def make_web_client(
    token: str | None,
    base_url: str,
    session: aiohttp.ClientSession,
    rate_limits: SlackRateLimits,
    *,
    workspace: str = "",
) -> BudgetedWebClient:
    """The process's client: budgeted, retrying 5xx and dropped connections (slack_sdk's handlers).

    The shared `session` matters: without it slack_sdk opens a new connection pool per call.
    """
    return BudgetedWebClient(
        rate_limits=rate_limits,
        flights=ReadFlights(),
        workspace=workspace,
        token=token,
        base_url=base_url,
        session=session,
        timeout=30,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def _flight_key(token: str | None, method: str, kwargs: dict[str, Any]) -> str:
    return jsonlib.dumps([token, method, kwargs], sort_keys=True, default=str)


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value[0] if isinstance(value, list) else value))
            except ValueError:
                break
    return 1.0

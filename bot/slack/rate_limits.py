"""The process's share of Slack's rate limits: one scheduler per method and scope, shared by
every Web API call the bot makes (`bot.slack.client.BudgetedWebClient` asks it before each call).

Scopes follow Slack: tiered methods are counted per workspace (the app's calls in that workspace,
whatever token or replica made them), `chat.postMessage` per channel. Workspaces are keyed by
their ids, never by token, so a rotated token keeps its workspace's windows.

With several replicas (PostgreSQL), every call the process grants itself also passes the
shared gate (`bot.slack.shared_limits`), so the replicas together stay within Slack's limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from bot.core.rate_window import Limit, WindowScheduler
from bot.slack.shared_limits import SharedCalls

log = logging.getLogger(__name__)

IDLE_SWEEP_AT = 2_000
"""Schedulers kept before idle ones are forgotten (one per busy channel adds up)."""


@dataclass(frozen=True)
class Scope:
    """What Slack counts one call against."""

    method: str
    workspace: str
    channel: str | None = None

    @property
    def key(self) -> str:
        return f"{self.method}|{self.workspace}|{self.channel or ''}"


@dataclass(frozen=True)
class Grant:
    """One call's turn. `answered()` once Slack has answered it (see `rate_window`)."""

    scope: Scope
    window: MethodWindow
    ticket: asyncio.Future[None]

    def answered(self) -> None:
        self.window.scheduler.answered(self.ticket, self.window.clock())


_PREPAID: ContextVar[Grant | None] = ContextVar("slack_call_prepaid", default=None)


class MethodWindow:
    """One scheduler driven by the event loop: `await acquire()` before each call."""

    def __init__(self, limit: Limit, clock: Callable[[], float]) -> None:
        self.scheduler: WindowScheduler[asyncio.Future[None]] = WindowScheduler(limit.calls, limit.window)
        self.clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def acquire(self, *, urgent: bool) -> asyncio.Future[None]:
        """The granted ticket, to be `answered` once the call is."""
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.scheduler.request(ticket, urgent=urgent)
        self._kick()
        try:
            await ticket
        except asyncio.CancelledError:
            self.scheduler.cancel(ticket)
            raise
        return ticket

    def penalize(self, retry_after: float) -> None:
        self.scheduler.penalize(self.clock(), retry_after)
        self._kick()

    def _kick(self) -> None:
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._grant_loop())

    async def _grant_loop(self) -> None:
        while True:
            self._wake.clear()
            now = self.clock()
            granted, wait = self.scheduler.poll(now)
            for ticket in granted:
                if ticket.done():  # its caller gave up: the call won't be made
                    self.scheduler.answered(ticket, now)
                else:
                    ticket.set_result(None)
            if wait is None:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)


class SlackRateLimits:
    """Every (method, workspace[, channel]) window; methods without a limit are free."""

    def __init__(
        self,
        limits: Mapping[str, Limit],
        clock: Callable[[], float] = time.monotonic,
        shared: SharedCalls | None = None,
    ) -> None:
        self._limits = dict(limits)
        self._clock = clock
        self._windows: dict[Scope, MethodWindow] = {}
        self.shared = shared

    def scope(self, method: str, workspace: str, params: Mapping[str, Any] | None = None) -> Scope | None:
        """The scope a call counts against, or None when the method has no limit here."""
        limit = self._limits.get(method)
        if limit is None:
            return None
        channel = str((params or {}).get("channel") or "") if limit.per_channel else None
        return Scope(method, workspace, channel)

    def _window(self, scope: Scope) -> MethodWindow:
        window = self._windows.get(scope)
        if window is None:
            if len(self._windows) >= IDLE_SWEEP_AT:
                self._forget_idle()
            window = self._windows[scope] = MethodWindow(self._limits[scope.method], self._clock)
        return window

    def _forget_idle(self) -> None:
        now = self._clock()
        for scope in [s for s, b in self._windows.items() if b.scheduler.idle(now)]:
            if self.shared is None or self.shared.forget(scope.key):
                del self._windows[scope]

    async def acquire(self, scope: Scope | None, *, urgent: bool) -> Grant | None:
        """Wait for a call's turn; None when its method has no limit."""
        if scope is None:
            return None
        window = self._window(scope)
        grant = Grant(scope, window, await window.acquire(urgent=urgent))
        if self.shared is not None:
            try:
                await self.shared.pass_gate(scope.key, self._limits[scope.method], urgent=urgent)
            except asyncio.CancelledError:
                grant.answered()
                raise
        return grant

    def headroom(self, scope: Scope | None) -> float:
        """Calls still free in this scope's window for a caller starting now."""
        if scope is None:
            return float("inf")
        local = float(self._window(scope).scheduler.headroom(self._clock()))
        if self.shared is None:
            return local
        return min(local, self.shared.free(scope.key, self._limits[scope.method]))

    async def refresh(self, scopes: list[Scope | None]) -> None:
        """A fresh view of these scopes across replicas, before a reply decides how to be written."""
        if self.shared is not None:
            shared = self.shared
            await asyncio.gather(
                *(shared.refresh(s.key, self._limits[s.method]) for s in scopes if s is not None)
            )

    def reserve(self, scope: Scope | None, delta: int) -> None:
        """Keep (or, with a negative delta, release) calls that progress must leave free."""
        if scope is not None:
            scheduler = self._window(scope).scheduler
            scheduler.reserve = max(0, scheduler.reserve + delta)
            if self.shared is not None:
                self.shared.reserve(scope.key, self._limits[scope.method], scheduler.reserve)

    async def claim(self, scope: Scope | None) -> bool:
        """One more call kept for a final text, if there is room for it now (across replicas too):
        how a reply decides it can be written this way."""
        if scope is None:
            return True
        scheduler = self._window(scope).scheduler
        if scheduler.headroom(self._clock()) <= 0:
            return False
        if self.shared is not None and not await self.shared.claim(scope.key, self._limits[scope.method]):
            return False
        scheduler.reserve += 1
        return True

    def penalize(self, scope: Scope | None, retry_after: float) -> None:
        if scope is not None:
            log.warning("Slack rate-limited %s; pausing it for %.1fs", scope.method, retry_after)
            self._window(scope).penalize(retry_after)

    @contextlib.contextmanager
    def prepaid(self, grant: Grant | None) -> Iterator[None]:
        """The next call in the grant's scope from the current task uses this grant (a progress call
        that waited for its turn before choosing what to send)."""
        token = _PREPAID.set(grant)
        try:
            yield
        finally:
            _PREPAID.reset(token)

    async def before_call(self, scope: Scope | None) -> Grant | None:
        """The call's turn: the prepaid grant, or one waited for now as urgent."""
        if scope is None:
            return None
        prepaid = _PREPAID.get()
        if prepaid is not None and prepaid.scope == scope:
            _PREPAID.set(None)
            return prepaid
        return await self.acquire(scope, urgent=True)

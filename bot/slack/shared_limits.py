"""Slack's limits shared by every replica: calls leased from the database in batches.

Slack counts an app's calls per workspace (and `chat.postMessage` per channel) whatever the
number of replicas, so with several the process's own budget is not enough. Each call the
process's budget grants also passes this gate: it takes a call from a *bank* of leased calls,
and when the bank is empty leases as many as there are callers waiting, in one round trip
(`bot.store.slack_calls.take`). Leased calls must be made within `USE_WITHIN` seconds and count
against the scope until a window after that, so the database's count is never below Slack's.

Each replica also publishes its reserve (calls kept for the final text of replies still
running): progress leases leave every replica's reserve free, and a reply choosing how to be
written sees the scope's room across all replicas (`free`), refreshed when older than `FRESH`.

When the database can't be reached the gate lets calls through on the process's own budget
(logged once) rather than stop every answer: Slack's 429s are then handled as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.rate_window import MARGIN_SHARE, Limit

log = logging.getLogger(__name__)

USE_WITHIN = 5.0
"""Seconds a leased call may wait to be made; the lease counts for this plus the window."""
FRESH = 0.5
"""A view of the scope older than this is refreshed before a reply chooses how to be written."""
WAIT_CAP = 1.0
"""Longest wait before asking the database again when it had nothing to lease."""


class Taken(Protocol):
    granted: int
    used: int
    reserved: int
    retry_in: float
    reserve_kept: int


Take = Callable[..., Awaitable[Taken]]


@dataclass
class _Scope:
    limit: Limit
    bank: deque[list[float]] = field(default_factory=deque)
    """Leased calls not yet made: [calls left, usable until]."""
    urgent: deque[asyncio.Future[None]] = field(default_factory=deque)
    progress: deque[asyncio.Future[None]] = field(default_factory=deque)
    leasing: asyncio.Task[None] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    used: int = 0
    reserved: int = 0
    seen: float = -math.inf
    reserve: int = 0
    published: int = 0
    publishing: asyncio.Task[None] | None = None
    claiming: asyncio.Lock = field(default_factory=asyncio.Lock)

    def banked(self, now: float) -> int:
        while self.bank and self.bank[0][1] <= now:
            self.bank.popleft()
        return int(sum(calls for calls, _ in self.bank))

    def withdraw(self) -> None:
        self.bank[0][0] -= 1
        if self.bank[0][0] <= 0:
            self.bank.popleft()


class SharedCalls:
    def __init__(self, take: Take, replica: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._take = take
        self.replica = replica
        self._clock = clock
        self._scopes: dict[str, _Scope] = {}
        self._offline = False
        self._heartbeat: asyncio.Task[None] | None = None

    def _scope(self, key: str, limit: Limit) -> _Scope:
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = _Scope(limit)
        return scope

    async def pass_gate(self, key: str, limit: Limit, *, urgent: bool) -> None:
        """Wait for a leased call (urgent callers first)."""
        scope = self._scope(key, limit)
        if not scope.urgent and (urgent or not scope.progress) and scope.banked(self._clock()):
            scope.withdraw()
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (scope.urgent if urgent else scope.progress).append(waiter)
        scope.wake.set()
        if scope.leasing is None or scope.leasing.done():
            scope.leasing = asyncio.create_task(self._lease(key, scope))
        try:
            await waiter
        except asyncio.CancelledError:
            for queue in (scope.urgent, scope.progress):
                if waiter in queue:
                    queue.remove(waiter)
            raise

    def forget(self, key: str) -> bool:
        """Drop an idle scope's state; False while it still has something in hand."""
        scope = self._scopes.get(key)
        if scope is not None:
            busy = scope.urgent or scope.progress or scope.reserve or scope.published
            if busy or scope.banked(self._clock()):
                return False
            del self._scopes[key]
        return True

    def free(self, key: str, limit: Limit) -> float:
        """Calls still free in the scope across every replica, as last seen (its bank included)."""
        scope = self._scope(key, limit)
        return float(limit.calls - scope.used - scope.reserved + scope.banked(self._clock()))

    async def refresh(self, key: str, limit: Limit) -> None:
        scope = self._scope(key, limit)
        if self._clock() - scope.seen > FRESH:
            await self._look(key, scope)

    def reserve(self, key: str, limit: Limit, reserve: int) -> None:
        """This replica now keeps `reserve` calls of the scope: told to the others in the background
        (a growth only as far as the scope has room; `claim` is the way to grow and know)."""
        scope = self._scope(key, limit)
        scope.reserve = reserve
        if scope.publishing is None or scope.publishing.done():
            scope.publishing = asyncio.create_task(self._publish(key, scope))
        self._keep_reserves_alive()

    async def claim(self, key: str, limit: Limit) -> bool:
        """One more call kept for this replica's final texts, if the scope has room for it across
        every replica: a reply choosing how to be written claims the call its final text needs."""
        scope = self._scope(key, limit)
        async with scope.claiming:
            wanted = scope.reserve + 1
            taken = await self._ask(key, scope, want=0, progress=False, reserve=wanted)
            if taken is not None and taken.reserve_kept < wanted:
                return False
            scope.reserve = wanted
        self._keep_reserves_alive()
        return True

    async def _publish(self, key: str, scope: _Scope) -> None:
        while True:
            published = scope.reserve
            if not await self._look(key, scope) or scope.reserve == published:
                return

    def _keep_reserves_alive(self) -> None:
        """Reserves are forgotten by the others when not heard of for two windows."""
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._heartbeats())

    async def _heartbeats(self) -> None:
        while any(scope.reserve for scope in self._scopes.values()):
            await asyncio.sleep(min(scope.limit.window for scope in self._scopes.values()) / 2)
            for key, scope in list(self._scopes.items()):
                if scope.reserve:
                    await self._look(key, scope)

    async def _look(self, key: str, scope: _Scope) -> bool:
        return await self._ask(key, scope, want=0, progress=False) is not None

    async def _ask(
        self, key: str, scope: _Scope, *, want: int, progress: bool, reserve: int | None = None
    ) -> Taken | None:
        reserve = scope.reserve if reserve is None else reserve
        try:
            taken = await self._take(
                scope=key,
                replica=self.replica,
                want=want,
                limit=scope.limit.calls,
                window=scope.limit.window,
                use_within=USE_WITHIN,
                progress=progress,
                keep=math.ceil(scope.limit.calls * MARGIN_SHARE),
                reserve=reserve,
            )
        except Exception as exc:  # the database is away: fall back to this process's own budget
            if not self._offline:
                log.warning(
                    "Slack's shared limits are out of reach (%s); this replica's own apply",
                    type(exc).__name__,
                )
                self._offline = True
            return None
        if self._offline:
            log.info("Slack's shared limits are reachable again")
            self._offline = False
        scope.used, scope.reserved, scope.published = taken.used, taken.reserved, taken.reserve_kept
        scope.seen = self._clock()
        return taken

    async def _lease(self, key: str, scope: _Scope) -> None:
        while scope.urgent or scope.progress:
            scope.wake.clear()
            now = self._clock()
            self._hand_out(scope, now)
            if not (scope.urgent or scope.progress):
                return
            progress = not scope.urgent
            want = len(scope.urgent) or len(scope.progress)
            taken = await self._ask(key, scope, want=want, progress=progress)
            if taken is None:
                self._let_through(scope)
                return
            if taken.granted:
                scope.bank.append([float(taken.granted), self._clock() + USE_WITHIN - 1.0])
                continue
            wait = min(max(taken.retry_in, 0.05), WAIT_CAP)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(scope.wake.wait(), wait)

    def _hand_out(self, scope: _Scope, now: float) -> None:
        for queue in (scope.urgent, scope.progress):
            while queue and scope.banked(now):
                waiter = queue.popleft()
                if not waiter.done():
                    scope.withdraw()
                    waiter.set_result(None)
            if queue:
                return

    @staticmethod
    def _let_through(scope: _Scope) -> None:
        for queue in (scope.urgent, scope.progress):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)

"""How many turns run at once: at most a few per person and a bounded number per process, the rest
queued in arrival order, and a queue that is bounded too.

`Gate` is the arithmetic, free of asyncio so it can be tested with plain data; `Admission` gives
each waiting turn a future and opens it when a slot frees up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

T = TypeVar("T")


class Verdict(Enum):
    GO = "go"
    WAIT_FOR_USER = "wait_for_user"
    """Queued: this person's other answers use all their slots."""
    WAIT_FOR_PROCESS = "wait_for_process"
    """Queued: the process runs as many turns as it may."""
    USER_QUEUE_FULL = "user_queue_full"
    """Refused: this person already has as many turns waiting as they may."""
    QUEUE_FULL = "queue_full"
    """Refused: the process's queue is full."""
    CLOSED = "closed"
    """Refused: the process is shutting down."""

    @property
    def waits(self) -> bool:
        return self in (Verdict.WAIT_FOR_USER, Verdict.WAIT_FOR_PROCESS)


@dataclass(frozen=True)
class Caps:
    per_user: int
    """Turns of one person running at once."""
    in_flight: int
    """Turns running at once in the process."""
    queued_per_user: int
    queued: int


class Gate(Generic[T]):
    """Slots per person and per process, and one queue in arrival order.

    A queued turn starts as soon as its person and the process both have a free slot; turns behind
    it whose person has room may start first (one busy person never holds up everyone else). Kept
    true between calls: no queued turn could start, so a newcomer with room starts without jumping
    anyone.
    """

    def __init__(self, caps: Caps) -> None:
        self.caps = caps
        self.running = 0
        self._running_by_user: Counter[str] = Counter()
        self._queue: list[tuple[T, str]] = []
        self._queued_by_user: Counter[str] = Counter()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def arrive(self, ticket: T, user: str) -> Verdict:
        if self._has_room(user):
            self._start(user)
            return Verdict.GO
        if self._queued_by_user[user] >= self.caps.queued_per_user:
            return Verdict.USER_QUEUE_FULL
        if len(self._queue) >= self.caps.queued:
            return Verdict.QUEUE_FULL
        self._queue.append((ticket, user))
        self._queued_by_user[user] += 1
        return (
            Verdict.WAIT_FOR_USER
            if self._running_by_user[user] >= self.caps.per_user
            else Verdict.WAIT_FOR_PROCESS
        )

    def leave(self, user: str) -> list[tuple[T, str]]:
        """A turn of `user` ended; the queued turns that start now (their slots already taken)."""
        self.running -= 1
        self._running_by_user[user] -= 1
        if not self._running_by_user[user]:
            del self._running_by_user[user]
        started: list[tuple[T, str]] = []
        kept: list[tuple[T, str]] = []
        for ticket, waiting_user in self._queue:
            if self._has_room(waiting_user):
                self._start(waiting_user)
                self._unqueue(waiting_user)
                started.append((ticket, waiting_user))
            else:
                kept.append((ticket, waiting_user))
        self._queue = kept
        return started

    def withdraw(self, ticket: T) -> bool:
        """Take a queued turn out (its waiter is gone); False when it wasn't queued."""
        for index, (queued, user) in enumerate(self._queue):
            if queued == ticket:
                del self._queue[index]
                self._unqueue(user)
                return True
        return False

    def close(self) -> list[T]:
        """Empty the queue: every queued ticket, in order."""
        tickets = [ticket for ticket, _ in self._queue]
        self._queue.clear()
        self._queued_by_user.clear()
        return tickets

    def _has_room(self, user: str) -> bool:
        return self.running < self.caps.in_flight and self._running_by_user[user] < self.caps.per_user

    def _start(self, user: str) -> None:
        self.running += 1
        self._running_by_user[user] += 1

    def _unqueue(self, user: str) -> None:
        self._queued_by_user[user] -= 1
        if not self._queued_by_user[user]:
            del self._queued_by_user[user]


class Admission:
    """The process's gate for turns; `close()` at shutdown turns the queue (and later arrivals) away."""

    def __init__(self, caps: Caps) -> None:
        self.gate: Gate[asyncio.Future[Verdict]] = Gate(caps)
        self.closed = False

    @contextlib.asynccontextmanager
    async def turn(self, user: str, on_wait: Callable[[Verdict], Awaitable[None]]) -> AsyncIterator[Verdict]:
        """Yields GO once the turn may run (its slot is freed on exit), or why it may not. While it
        waits, `on_wait` runs (to say so in the thread); it is cancelled when the wait ends."""
        verdict = await self._enter(user, on_wait)
        try:
            yield verdict
        finally:
            if verdict is Verdict.GO:
                self._release(user)

    def close(self) -> None:
        self.closed = True
        for ticket in self.gate.close():
            if not ticket.done():
                ticket.set_result(Verdict.CLOSED)

    async def _enter(self, user: str, on_wait: Callable[[Verdict], Awaitable[None]]) -> Verdict:
        if self.closed:
            return Verdict.CLOSED
        ticket: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        verdict = self.gate.arrive(ticket, user)
        if not verdict.waits:
            return verdict
        waiting = asyncio.create_task(on_wait(verdict))
        try:
            return await ticket
        except asyncio.CancelledError:
            started = not self.gate.withdraw(ticket) and ticket.done() and not ticket.cancelled()
            if started and ticket.result() is Verdict.GO:
                self._release(user)
            raise
        finally:
            waiting.cancel()
            await asyncio.wait({waiting})

    def _release(self, user: str) -> None:
        leaving = [user]
        while leaving:
            for ticket, started_user in self.gate.leave(leaving.pop()):
                if ticket.done():  # its waiter was cancelled meanwhile: the slot passes on
                    leaving.append(started_user)
                else:
                    ticket.set_result(Verdict.GO)

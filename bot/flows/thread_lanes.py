"""One reply at a time per thread, and a clean way to stop replies in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from bot.core.ownership import Owner

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class Lanes(Protocol[T_contra]):
    """What the rest of the bot relies on: `run` answers one request of a thread at a time, folding
    requests that arrive meanwhile into the next; `running` holds this process's lane tasks, for
    shutdown. `ThreadLanes` keeps a process's lanes in memory; across replicas the same contract
    needs the database (a claim row or an advisory lock per thread)."""

    running: set[asyncio.Task[object]]

    async def run(
        self, key: str, request: T_contra, runner: Callable[[T_contra], Awaitable[None]]
    ) -> None: ...


class ThreadLanes(Generic[T]):
    """A message arriving while the bot answers in its thread waits for that answer, so the next
    turn sees the thread as it then stands; several waiting messages become one turn."""

    def __init__(self) -> None:
        self._waiting: dict[str, T | None] = {}
        self.running: set[asyncio.Task[object]] = set()

    def busy(self, key: str) -> bool:
        """A turn of this thread is running in this process."""
        return key in self._waiting

    async def run(self, key: str, request: T, runner: Callable[[T], Awaitable[None]]) -> None:
        if key in self._waiting:
            self._waiting[key] = request
            return
        self._waiting[key] = None
        task = asyncio.current_task()
        if task is not None:
            self.running.add(task)
        try:
            current: T | None = request
            while current is not None:
                await runner(current)
                current, self._waiting[key] = self._waiting[key], None
        finally:
            del self._waiting[key]
            if task is not None:
                self.running.discard(task)


@dataclass
class StopSignal:
    """Set by the Stop button ("stopped") or by shutdown ("interrupted")."""

    owner: Owner
    """The workspace whose answer this is: only a Stop click from it counts."""
    event: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = "stopped"

    def set(self, reason: str) -> None:
        if not self.event.is_set():
            self.reason = reason
            self.event.set()

"""One answer at a time per thread across replicas (PostgreSQL), with today's coalescing.

A thread's lane is a row (`bot.store.lanes`): the replica that takes it answers; a message that
reaches another replica meanwhile marks the row pending and is left to the holder, which answers
it next, reading the thread as it then stands (so the second answer sees the first). Within one
process, messages arriving meanwhile fold into the next turn as `ThreadLanes` does.

When the database is out of reach the lane is kept in this process only (logged): answering
matters more than one answer at a time in the rare thread that gets messages on two replicas
during an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from bot.flows.thread_lanes import ThreadLanes
from bot.store import Database
from bot.store import lanes as store
from bot.store.db import is_outage

log = logging.getLogger(__name__)

T = TypeVar("T")
LANE_SECONDS = 60.0
"""A lane not renewed for this long is free again (its holder died); renewed every third of it."""


class SharedLanes(Generic[T]):
    def __init__(
        self,
        db: Database,
        replica: str,
        *,
        author: Callable[[T], str | None],
        follow_up: Callable[[T, str | None], T],
    ) -> None:
        self._db = db
        self._replica = replica
        self._author = author
        self._follow_up = follow_up
        """The request for a message another replica left pending: from this lane's own request,
        for that message's author, without a trigger (the thread is read back from Slack)."""
        self._local: ThreadLanes[T] = ThreadLanes()
        self.running = self._local.running

    async def run(self, key: str, request: T, runner: Callable[[T], Awaitable[None]]) -> None:
        if self._local.busy(key):
            await self._local.run(key, request, runner)
            return
        while True:
            try:
                if await store.take(self._db, key, self._replica, LANE_SECONDS):
                    break
                if await store.leave_pending(self._db, key, self._author(request)):
                    return
            except Exception as exc:
                if not is_outage(exc):
                    raise
                log.warning("the database is out of reach: this thread's lane is kept in this replica only")
                await self._local.run(key, request, runner)
                return
        renewing = asyncio.create_task(self._renew(key))
        try:
            await self._local.run(key, request, self._holding(key, runner))
        finally:
            renewing.cancel()

    def _holding(self, key: str, runner: Callable[[T], Awaitable[None]]) -> Callable[[T], Awaitable[None]]:
        """The runner, then whatever other replicas left pending, until the lane can be given up."""

        async def run_and_follow(request: T) -> None:
            await runner(request)
            while True:
                try:
                    waiting, user = await store.take_pending(self._db, key, self._replica)
                    if not waiting and await store.release(self._db, key, self._replica):
                        return
                except Exception as exc:
                    if not is_outage(exc):
                        raise
                    return  # the lane expires by itself
                if waiting:
                    await runner(self._follow_up(request, user))

        return run_and_follow

    async def _renew(self, key: str) -> None:
        while True:
            await asyncio.sleep(LANE_SECONDS / 3)
            with contextlib.suppress(Exception):
                await store.renew(self._db, key, self._replica, LANE_SECONDS)

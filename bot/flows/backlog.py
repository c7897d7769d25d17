"""Work held while the database is out of reach, done as soon as it answers again.

Slack's events are acknowledged before they are handled, so an event whose claim can't be
written would be lost: Slack doesn't send it again. Instead it is held here (so is a ledger row
that can't be written), within `MAX_HELD`, and started again in arrival order; the database is asked once a
second, and when it answers everything held is done again from the start (the claim still makes
a message answered once, whichever replica or retry gets there first). The log says it once a
minute, not once per event, and `/readyz` reports the outage meanwhile.

A process that stops during an outage loses what it held; see docs/deploy.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from sqlalchemy import text

from bot.store import Database
from bot.store.db import is_outage

log = logging.getLogger(__name__)

MAX_HELD = 1_000
PROBE_SECONDS = 1.0
REPORT_SECONDS = 60.0

Work = Callable[[], Awaitable[None]]


class Backlog:
    def __init__(self, db: Database, *, max_held: int = MAX_HELD) -> None:
        self._db = db
        self._max = max_held
        self._held: deque[tuple[str, Work]] = deque()
        self._dropped = 0
        self._draining: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._since = 0.0

    @property
    def held(self) -> int:
        return len(self._held)

    async def attempt(self, what: str, work: Work) -> None:
        """Do `work`; when the database is out of reach, hold it and do it again later."""
        if self._held:  # keep arrival order while others wait
            self._hold(what, work)
            return
        try:
            await work()
        except Exception as exc:
            if not is_outage(exc):
                raise
            self._hold(what, work)

    def _hold(self, what: str, work: Work) -> None:
        if not self._held and self._draining is None:
            self._since = time.monotonic()
            log.warning("the database is out of reach; holding work until it answers")
        if len(self._held) >= self._max:
            self._dropped += 1
            log.error(
                "the database has been out of reach too long: dropped a %s (%d so far)", what, self._dropped
            )
            return
        self._held.append((what, work))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        reported = time.monotonic()
        while self._held:
            if not await self._reachable():
                if time.monotonic() - reported >= REPORT_SECONDS:
                    reported = time.monotonic()
                    log.warning(
                        "the database has been out of reach for %.0fs: %d held",
                        reported - self._since,
                        len(self._held),
                    )
                await asyncio.sleep(PROBE_SECONDS)
                continue
            log.info(
                "the database answers again after %.0fs: doing %d held",
                time.monotonic() - self._since,
                len(self._held),
            )
            while self._held:
                what, work = self._held.popleft()
                task = asyncio.create_task(self._again(what, work))
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    async def _again(self, what: str, work: Work) -> None:
        try:
            await self.attempt(what, work)
        except Exception:
            log.exception("a held %s failed", what)

    async def _reachable(self) -> bool:
        try:
            async with asyncio.timeout(5):
                async with self._db.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as exc:
            if is_outage(exc):
                return False
            raise
        return True

    async def close(self) -> None:
        for task in [self._draining, *self._running]:
            if task is not None:
                task.cancel()
        if self._held:
            log.error("stopping with %d held items undone: the database never came back", len(self._held))

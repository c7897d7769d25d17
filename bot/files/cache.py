"""Prepared files kept in memory, so a thread's screenshots are downloaded and converted once
per process rather than once per turn.

Keyed by the workspace, and the file's id, size and timestamp: Slack file ids are stable, and an
edited snippet changes size or timestamp; a file one workspace's token could read is never handed
to another's turn. Only outcomes that follow from the bytes are kept; a download
that failed this time is tried again next turn. Two turns asking for the same file at once
share one download.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.files.model import MIB, Prepared, SlackFile

CacheKey = tuple[str, str, int, int]
DEFAULT_CACHE_BYTES = 200 * MIB


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    items: int
    bytes: int


def cache_key(file: SlackFile, team_id: str) -> CacheKey | None:
    file_id = file.get("id")
    if not isinstance(file_id, str) or not file_id:
        return None
    size = file.get("size")
    stamp = file.get("timestamp") or file.get("created")
    return team_id, file_id, size if isinstance(size, int) else -1, stamp if isinstance(stamp, int) else 0


class FileCache:
    """An LRU within a byte budget. Used from one event loop; its bookkeeping never awaits, so
    no lock is needed."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[CacheKey, Prepared] = OrderedDict()
        self._pending: dict[CacheKey, asyncio.Future[Prepared]] = {}
        self._bytes = 0
        self._hits = 0
        self._misses = 0

    @property
    def stats(self) -> CacheStats:
        return CacheStats(self._hits, self._misses, len(self._items), self._bytes)

    async def get_or_make(self, key: CacheKey, make: Callable[[], Awaitable[Prepared]]) -> Prepared:
        """The cached outcome, the one already being made, or a new one. A caller that is
        cancelled doesn't cancel the making, which others may be waiting for."""
        cached = self._items.get(key)
        if cached is not None:
            self._items.move_to_end(key)
            self._hits += 1
            return cached
        pending = self._pending.get(key)
        if pending is None:
            self._misses += 1
            pending = asyncio.ensure_future(make())
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._settle(key, done))
        else:
            self._hits += 1
        return await asyncio.shield(pending)

    def _settle(self, key: CacheKey, done: asyncio.Future[Prepared]) -> None:
        self._pending.pop(key, None)
        if not done.cancelled() and done.exception() is None:
            self._put(key, done.result())

    def _put(self, key: CacheKey, prepared: Prepared) -> None:
        if prepared.kind == "unavailable" or prepared.size > self.max_bytes:
            return
        previous = self._items.pop(key, None)
        if previous is not None:
            self._bytes -= previous.size
        self._items[key] = prepared
        self._bytes += prepared.size
        while self._bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self._bytes -= evicted.size

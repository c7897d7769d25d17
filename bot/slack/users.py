"""People as Slack knows them (`users.info`), cached: the one place the bot looks a person up.

`users.info` is a Tier 4 method (100 calls a minute for the whole workspace), and one message
can mention hundreds of people. So a turn looks up a bounded number of people (the rest keep
the label Slack gave them, or their id), a few at a time; everyone found is remembered for the
names' lifetime, and so is everyone Slack doesn't know; and two turns asking for the same
person at once share one call. The admin check reads the same cache, asking for fresher data.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

LOOKUPS_AT_ONCE = 8
NOT_FOUND = frozenset({"user_not_found", "user_not_visible", "users_not_found"})
"""Answers that hold until the directory changes: cached like a found person."""

User = Mapping[str, Any]


@dataclass(frozen=True)
class _Entry:
    at: float
    user: User | None
    """None: Slack says there is no such person (for this bot)."""


class UserDirectory:
    def __init__(
        self, ttl_seconds: float, *, lookups_at_once: int = LOOKUPS_AT_ONCE, max_entries: int = 50_000
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._pending: dict[tuple[str, str], asyncio.Future[_Entry | None]] = {}
        self._gate = asyncio.Semaphore(lookups_at_once)

    async def user(
        self, client: AsyncWebClient, team_id: str, user_id: str, *, max_age: float | None = None
    ) -> User | None:
        """The `users.info` user object, no older than `max_age` seconds (default: the names'
        lifetime); None when Slack doesn't know the person or couldn't be asked."""
        entry = await self._entry(client, (team_id, user_id), self._ttl if max_age is None else max_age)
        return entry.user if entry else None

    async def names(
        self, client: AsyncWebClient, team_id: str, user_ids: Iterable[str], *, limit: int
    ) -> dict[str, str]:
        """Display names for `user_ids`, most important first: those already known, and at most
        `limit` looked up now. A name that is due for a lookup and doesn't get one this time, or
        whose lookup fails, is kept as it last was."""
        found: dict[str, str] = {}
        wanted: list[str] = []
        now = time.monotonic()
        for user_id in dict.fromkeys(user_ids):
            cached = self._entries.get((team_id, user_id))
            if (cached is None or now - cached.at >= self._ttl) and len(wanted) < limit:
                wanted.append(user_id)
            elif cached is not None and cached.user is not None:
                found[user_id] = display_name(cached.user)
        entries = await asyncio.gather(*(self._entry(client, (team_id, u), self._ttl) for u in wanted))
        for user_id, entry in zip(wanted, entries, strict=True):
            stale = self._entries.get((team_id, user_id))
            user = entry.user if entry is not None else stale.user if stale is not None else None
            if user is not None:
                found[user_id] = display_name(user)
        return found

    async def _entry(self, client: AsyncWebClient, key: tuple[str, str], max_age: float) -> _Entry | None:
        cached = self._entries.get(key)
        if cached is not None and time.monotonic() - cached.at < max_age:
            return cached
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._lookup(client, key))
            self._pending[key] = pending
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(pending)

    async def _lookup(self, client: AsyncWebClient, key: tuple[str, str]) -> _Entry | None:
        async with self._gate:
            try:
                response = await client.users_info(user=key[1])
            except SlackApiError as exc:
                error = exc.response.get("error")
                log.warning("users.info failed for %s: %s", key[1], error)
                return self._keep(key, None) if error in NOT_FOUND else None
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("users.info failed for %s: %s", key[1], type(exc).__name__)
                return None
        return self._keep(key, response.get("user") or {})

    def _keep(self, key: tuple[str, str], user: User | None) -> _Entry:
        entry = _Entry(time.monotonic(), user)
        self._entries.pop(key, None)
        self._entries[key] = entry
        while len(self._entries) > self._max:
            del self._entries[next(iter(self._entries))]
        return entry


def display_name(user: User) -> str:
    profile = user.get("profile") or {}
    return str(
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user.get("id")
        or "someone"
    )

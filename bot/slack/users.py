"""Display names for user ids, cached so a busy thread costs no repeated `users.info` calls."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class UserDirectory:
    def __init__(self, ttl_seconds: float, max_entries: int = 50_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._names: dict[tuple[str, str], tuple[float, str]] = {}

    async def names(self, client: AsyncWebClient, team_id: str, user_ids: Iterable[str]) -> dict[str, str]:
        now = time.monotonic()
        found: dict[str, str] = {}
        missing: list[str] = []
        for user_id in set(user_ids):
            cached = self._names.get((team_id, user_id))
            if cached and now - cached[0] < self._ttl:
                found[user_id] = cached[1]
            else:
                missing.append(user_id)
        looked_up = await asyncio.gather(*(self._lookup(client, user_id) for user_id in missing))
        if len(self._names) + len(missing) > self._max:
            self._names.clear()
        for user_id, name in zip(missing, looked_up, strict=True):
            if name:
                self._names[(team_id, user_id)] = (now, name)
                found[user_id] = name
        return found

    async def _lookup(self, client: AsyncWebClient, user_id: str) -> str | None:
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        return (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
        )

"""Whether a person is a workspace admin or owner, from `users.info`.

Cached per person for a minute: a burst of `/claude` commands costs one lookup, and someone who
loses admin rights loses the bot's admin commands soon after.
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.permissions import is_admin

log = logging.getLogger(__name__)


class Roles:
    def __init__(self, ttl_seconds: float = 60.0, max_entries: int = 10_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._admins: dict[tuple[str, str], tuple[float, bool]] = {}

    async def is_admin(self, client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        """False too when Slack can't say: admin powers are never granted on a failed lookup."""
        now = time.monotonic()
        cached = self._admins.get((team_id, user_id))
        if cached and now - cached[0] < self._ttl:
            return cached[1]
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return False
        admin = is_admin(response.get("user") or {})
        if len(self._admins) >= self._max:
            self._admins.clear()
        self._admins[(team_id, user_id)] = (now, admin)
        return admin

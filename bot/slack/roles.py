"""Whether a person is a workspace admin or owner, from `users.info`.

Read through the user directory, so names and roles share one cache and one call per person;
but a role is never older than a minute: a burst of `/claude` commands costs one lookup, and
someone who loses admin rights loses the bot's admin commands soon after.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.permissions import is_admin
from bot.slack.users import UserDirectory

ROLE_MAX_AGE_SECONDS = 60.0


class Roles:
    def __init__(self, users: UserDirectory, max_age: float = ROLE_MAX_AGE_SECONDS) -> None:
        self._users = users
        self._max_age = max_age

    async def is_admin(self, client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        """False too when Slack can't say: admin powers are never granted on a failed lookup."""
        user = await self._users.user(client, team_id, user_id, max_age=self._max_age)
        return user is not None and is_admin(user)

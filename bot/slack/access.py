"""Whether a person can see a conversation, as Slack says: the one check before the bot reads a
conversation for someone else's question.

The bot can read more than most people (every channel it was invited to), so what it reads for a
question is limited to what the asker could read themselves. Nothing is guessed: the conversation's
kind comes from `conversations.info`, and membership from `conversations.members` (a bounded number
of pages; a membership that can't be confirmed within them counts as no membership).
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.users import UserDirectory

log = logging.getLogger(__name__)

MEMBER_PAGES = 3
"""`conversations.members` pages read at most (1,000 members each) to find the asker."""
MEMBER_PAGE_SIZE = 1000
HIDDEN_ERRORS = frozenset(
    {"channel_not_found", "not_in_channel", "missing_scope", "method_not_supported_for_channel_type"}
)
"""Answers meaning the bot can't see the conversation either: the same "not read" as no access."""


class Seen(Enum):
    VISIBLE = "visible"
    HIDDEN = "hidden"
    UNKNOWN = "unknown"
    """Slack couldn't be asked (an outage, a rate limit beyond the retries): nothing is read."""


async def asker_sees(
    client: AsyncWebClient, users: UserDirectory, team_id: str, channel_id: str, user_id: str
) -> Seen:
    """A public channel is visible to the workspace's full members; a private channel, DM or group
    DM only to its members. Guests, and anyone in a channel shared with another organisation,
    are checked against the members too."""
    try:
        response = await client.conversations_info(channel=channel_id)
    except SlackApiError as exc:
        return _failed(exc, "conversations.info")
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("conversations.info failed: %s", type(exc).__name__)
        return Seen.UNKNOWN
    channel: dict[str, Any] = response.get("channel") or {}
    if channel.get("is_im"):
        return Seen.VISIBLE if channel.get("user") == user_id else Seen.HIDDEN
    private = bool(channel.get("is_private") or channel.get("is_mpim") or channel.get("is_group"))
    shared = bool(channel.get("is_ext_shared") or channel.get("is_shared"))
    if not private and not shared and not await _is_guest(client, users, team_id, user_id):
        return Seen.VISIBLE
    return await is_member(client, channel_id, user_id)


async def is_member(client: AsyncWebClient, channel_id: str, user_id: str) -> Seen:
    """`user_id` among the conversation's members, within `MEMBER_PAGES` pages."""
    cursor: str | None = None
    for _ in range(MEMBER_PAGES):
        try:
            response = await client.conversations_members(
                channel=channel_id, limit=MEMBER_PAGE_SIZE, cursor=cursor
            )
        except SlackApiError as exc:
            return _failed(exc, "conversations.members")
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("conversations.members failed: %s", type(exc).__name__)
            return Seen.UNKNOWN
        if user_id in (response.get("members") or ()):
            return Seen.VISIBLE
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            return Seen.HIDDEN
    log.info("membership not confirmed within %d pages of members", MEMBER_PAGES)
    return Seen.HIDDEN


async def _is_guest(client: AsyncWebClient, users: UserDirectory, team_id: str, user_id: str) -> bool:
    """Guests see only the channels they are in; someone Slack can't describe is treated as one."""
    user = await users.user(client, team_id, user_id)
    if user is None:
        return True
    outsider = user.get("team_id", team_id) != team_id
    return bool(user.get("is_restricted") or user.get("is_ultra_restricted") or outsider)


def _failed(exc: SlackApiError, method: str) -> Seen:
    error = str(exc.response.get("error") or "")
    if error in HIDDEN_ERRORS:
        return Seen.HIDDEN
    log.warning("%s failed: %s", method, error or exc.response.status_code)
    return Seen.UNKNOWN

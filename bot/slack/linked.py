"""Reading the Slack messages a question links to, each only once the asker's access to its
conversation is confirmed (`bot.slack.access`). One history call per link, at most."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.permalinks import MESSAGES_PER_LINK, SHORTCUT_MESSAGES, Found, LinkRead, Outcome, Permalink
from bot.slack.access import Seen, asker_sees
from bot.slack.history import read_thread
from bot.slack.users import UserDirectory

log = logging.getLogger(__name__)

GONE_ERRORS = frozenset({"thread_not_found", "message_not_found"})
THREAD_CALLS = 2
"""`conversations.replies` calls per linked thread: its first page, and its newest replies."""


async def read_links(
    client: AsyncWebClient,
    users: UserDirectory,
    *,
    team_id: str,
    asker: str | None,
    found: Found,
    tokens: int,
    about: Permalink | None = None,
) -> list[LinkRead]:
    """Every link of the question, read or not and why, in the order they came. A thread is read
    as its first message and the newest replies `tokens` hold (`read_thread`, `THREAD_CALLS`
    calls), at most `MESSAGES_PER_LINK` of them, or `SHORTCUT_MESSAGES` for the thread a
    shortcut's conversation is `about`; a message alone in one call."""

    async def one(link: Permalink) -> LinkRead:
        if asker is None:
            return LinkRead(link, Outcome.HIDDEN, [])
        seen = await asker_sees(client, users, team_id, link.channel_id, asker)
        if seen is not Seen.VISIBLE:
            return LinkRead(link, Outcome.HIDDEN if seen is Seen.HIDDEN else Outcome.UNAVAILABLE, [])
        try:
            if found.thread:
                cap = SHORTCUT_MESSAGES if link == about else MESSAGES_PER_LINK
                return await _thread(client, link, tokens, cap)
            return await _message(client, link)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error in GONE_ERRORS:
                return LinkRead(link, Outcome.GONE, [])
            log.warning("reading a linked message failed: %s", error)
            return LinkRead(link, Outcome.UNAVAILABLE, [])
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("reading a linked message failed: %s", type(exc).__name__)
            return LinkRead(link, Outcome.UNAVAILABLE, [])

    reads = list(await asyncio.gather(*(one(link) for link in found.links)))
    return reads + [LinkRead(link, Outcome.BEYOND, []) for link in found.beyond]


async def _thread(client: AsyncWebClient, link: Permalink, tokens: int, cap: int) -> LinkRead:
    read = await read_thread(client, link.channel_id, link.root, tokens=tokens, max_calls=THREAD_CALLS)
    messages = read.messages
    if len(messages) > cap:
        kept = [messages[0], *messages[len(messages) - cap + 1 :]]
        return LinkRead(link, Outcome.READ, kept, read.skipped + len(messages) - len(kept))
    return LinkRead(link, Outcome.READ, messages, read.skipped)


async def _message(client: AsyncWebClient, link: Permalink) -> LinkRead:
    """The one message: its thread's first page, bounded to that message's own time."""
    response = await client.conversations_replies(
        channel=link.channel_id, ts=link.root, oldest=link.ts, latest=link.ts, inclusive=True, limit=2
    )
    message = next((m for m in response.get("messages") or () if m.get("ts") == link.ts), None)
    if message is None:
        return LinkRead(link, Outcome.GONE, [])
    return LinkRead(link, Outcome.READ, [message])

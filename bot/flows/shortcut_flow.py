"""A message shortcut, from the click to the private conversation it opens (see `bot.core.shortcuts`)."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.core.conversation import BotIdentity
from bot.core.permalinks import Permalink, about_metadata
from bot.core.routing import Thread
from bot.core.shortcuts import CANT_READ, NOT_IN_CHANNEL, UNAVAILABLE, Shortcut, opening
from bot.flows.intake import answer
from bot.flows.shared import Services
from bot.flows.turn_request import TurnRequest
from bot.slack.access import HIDDEN_ERRORS
from bot.slack.client import BudgetedWebClient

log = logging.getLogger(__name__)


async def run_shortcut(
    services: Services,
    client: BudgetedWebClient,
    bot: BotIdentity,
    respond: AsyncRespond,
    *,
    shortcut: Shortcut,
    payload: dict[str, Any],
    team_id: str,
    enterprise_id: str | None,
) -> None:
    """Open the person's private thread about the message; answer at once for Summarize and
    Translate. Whatever stands in the way is said to them alone (`respond`, ephemeral).
    `team_id`: the workspace the request was authorized for, whose budget and ledger it uses."""
    user_id = str((payload.get("user") or {}).get("id") or "")
    channel_id = str((payload.get("channel") or {}).get("id") or "")
    message = payload.get("message") or {}
    ts = str(payload.get("message_ts") or message.get("ts") or "")
    if not (team_id and user_id and channel_id and ts):
        return
    try:
        problem = await _unreadable(client, channel_id)
        if problem is not None:
            await _tell(respond, problem)
            return
        link = (await client.chat_getPermalink(channel=channel_id, message_ts=ts))["permalink"]
        locale = await _locale(client, user_id) if shortcut is Shortcut.TRANSLATE else None
        words = opening(shortcut, link=str(link), channel_id=channel_id, locale=locale)
        thread_ts = str(message.get("thread_ts") or "")
        about = Permalink(str(link), channel_id, ts, thread_ts if thread_ts not in ("", ts) else None)
        root = await client.chat_postMessage(channel=user_id, text=words.text, metadata=about_metadata(about))
    except SlackApiError as exc:
        log.warning("%s shortcut failed: %s", shortcut.value, exc.response.get("error"))
        await _tell(respond, UNAVAILABLE)
        return
    if words.question is None:
        return
    trigger = {"type": "message", "user": user_id, "text": words.question, "ts": f"{time.time():.6f}"}
    thread = Thread(team_id, str(root["channel"]), str(root["ts"]))
    await answer(services, client, bot, TurnRequest(thread, enterprise_id, user_id, trigger))


async def _unreadable(client: BudgetedWebClient, channel_id: str) -> str | None:
    """Why the bot can't read the conversation, in words for the person; None when it can."""
    try:
        info = (await client.conversations_info(channel=channel_id)).get("channel") or {}
    except SlackApiError as exc:
        if exc.response.get("error") in HIDDEN_ERRORS:
            return CANT_READ
        raise
    if info.get("is_member") is False:
        return NOT_IN_CHANNEL.format(channel=channel_id)
    return None


async def _locale(client: BudgetedWebClient, user_id: str) -> str | None:
    """The person's Slack language (`users.info` with `include_locale`); None when Slack won't say."""
    try:
        response = await client.users_info(user=user_id, include_locale=True)
    except SlackApiError as exc:
        log.info("no locale for a translation: %s", exc.response.get("error"))
        return None
    return (response.get("user") or {}).get("locale") or None


async def _tell(respond: AsyncRespond, text: str) -> None:
    await respond(text=text, response_type="ephemeral", replace_original=False)

"""Slack's AI app pane, read from the thread itself. Pure.

A pane thread is a DM thread that opens with the bot's greeting. The greeting carries the channel
the person was looking at in its message metadata (kept current when they move), so any replica,
before or after a restart, finds the pane's context in the history it already reads for the turn:
no table, and Slack stays the only record of the conversation. The greeting is tagged as a notice,
so it never becomes part of what Claude is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.conversation import NOTICE_EVENT_TYPE, BotIdentity, is_notice, slack_to_plain

GREETING_KIND = "greeting"
TITLE_CHARS = 60
"""Long enough to recognise a conversation in the pane's history list, short enough to fit it."""

SlackMessage = Mapping[str, Any]


def greeting_metadata(context_channel_id: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"kind": GREETING_KIND}
    if context_channel_id:
        payload["context_channel_id"] = context_channel_id
    return {"event_type": NOTICE_EVENT_TYPE, "event_payload": payload}


def find_greeting(history: Sequence[SlackMessage], bot: BotIdentity) -> SlackMessage | None:
    for message in history:
        if bot.wrote(message) and _payload(message).get("kind") == GREETING_KIND:
            return message
    return None


def context_channel(history: Sequence[SlackMessage], bot: BotIdentity) -> str | None:
    """The channel the person had open beside the pane, if this is a pane thread and Slack said."""
    greeting = find_greeting(history, bot)
    if greeting is None:
        return None
    channel = _payload(greeting).get("context_channel_id")
    return str(channel) if channel else None


def first_question_title(history: Sequence[SlackMessage], bot: BotIdentity) -> str | None:
    """The pane thread's title, taken from its first question, while Claude hasn't answered yet.

    Only pane threads get one (Slack shows titles in the pane's history, nowhere else).
    """
    if find_greeting(history, bot) is None:
        return None
    if any(bot.wrote(message) and not is_notice(message) for message in history):
        return None
    for message in history:
        if bot.wrote(message) or message.get("subtype") not in (None, "file_share"):
            continue
        text = " ".join(
            slack_to_plain(str(message.get("text") or ""), names={}, bot_user_id=bot.user_id).split()
        )
        if text:
            return shorten(text, TITLE_CHARS)
        files = message.get("files") or []
        if files:
            return shorten(str(files[0].get("title") or files[0].get("name") or "A file"), TITLE_CHARS)
    return None


def shorten(text: str, limit: int) -> str:
    """Cut at a word where one is near, with an ellipsis, so a title never ends mid-word."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def _payload(message: SlackMessage) -> Mapping[str, Any]:
    if not is_notice(message):
        return {}
    payload = message["metadata"].get("event_payload")
    return payload if isinstance(payload, Mapping) else {}

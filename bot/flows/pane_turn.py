"""The AI app pane's Slack calls: greet a new pane thread, follow the person's channel, title it."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.conversation import BotIdentity
from bot.core.pane_context import context_channel, find_greeting, first_question_title, greeting_metadata
from bot.core.routing import Thread
from bot.process.config import SuggestedPrompt
from bot.slack.history import thread_head

log = logging.getLogger(__name__)

PROMPTS_TITLE = "Try one of these:"
HEAD_MESSAGES = 10
"""The greeting is a pane thread's first reply: reading this far finds it, however long the thread."""


async def greet(
    client: AsyncWebClient,
    *,
    channel_id: str,
    thread_ts: str,
    context_channel_id: str | None,
    greeting: str,
    prompts: list[SuggestedPrompt],
) -> None:
    """The greeting (which also holds the pane's context) and the suggested prompts under it."""
    try:
        await client.chat_postMessage(
            channel=channel_id,
            thread_ts=thread_ts,
            text=greeting,
            metadata=greeting_metadata(context_channel_id),
        )
        if prompts:
            await client.assistant_threads_setSuggestedPrompts(
                channel_id=channel_id,
                thread_ts=thread_ts,
                title=PROMPTS_TITLE,
                prompts=[prompt.model_dump() for prompt in prompts],
            )
    except SlackApiError as exc:
        log.warning("could not greet a pane thread: %s", exc.response.get("error"))


async def follow_context(
    client: AsyncWebClient, bot: BotIdentity, *, channel_id: str, thread_ts: str, context_channel_id: str
) -> None:
    """Point the greeting's metadata at the channel now open beside the pane."""
    try:
        greeting = find_greeting(await thread_head(client, channel_id, thread_ts, HEAD_MESSAGES), bot)
        if greeting is None:
            log.info("a pane thread without the bot's greeting changed context; nothing to keep it on")
            return
        if context_channel([greeting], bot) == context_channel_id:
            return
        await client.chat_update(
            channel=channel_id,
            ts=str(greeting["ts"]),
            text=str(greeting.get("text") or ""),
            metadata=greeting_metadata(context_channel_id),
        )
    except SlackApiError as exc:
        log.warning("could not record a pane's new context: %s", exc.response.get("error"))


async def set_title(client: AsyncWebClient, *, channel_id: str, thread_ts: str, title: str) -> None:
    try:
        await client.assistant_threads_setTitle(channel_id=channel_id, thread_ts=thread_ts, title=title)
    except SlackApiError as exc:
        log.info("could not title a pane thread: %s", exc.response.get("error"))


async def follow_pane(
    client: AsyncWebClient, bot: BotIdentity, thread: Thread, history: list[dict[str, Any]]
) -> Thread:
    """The thread whose channel settings (prompt, model) a turn takes. In a pane thread, that is the
    channel open beside the pane, and its first question titles it; any other thread is its own,
    at no cost."""
    title = first_question_title(history, bot)
    if title is not None:
        await set_title(client, channel_id=thread.channel_id, thread_ts=thread.thread_ts, title=title)
    channel = context_channel(history, bot)
    if channel is None or channel == thread.channel_id:
        return thread
    return replace(thread, channel_id=channel)

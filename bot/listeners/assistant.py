"""Slack's AI app pane: a new pane thread is greeted once; moving to another channel is remembered.

Plain event listeners rather than Bolt's `AsyncAssistant` middleware: that middleware claims every
message in any DM thread for its own listeners, while the pane's questions are ordinary DM thread
messages the shared intake already answers (claimed once, one lane per thread, files, streaming,
ledger). Only these two pane events need anything of their own.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.flows.intake import identity
from bot.flows.pane_turn import follow_context, greet
from bot.listeners.context import services_of
from bot.store import threads


async def pane_opened(event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
    services = services_of(context)
    pane = event.get("assistant_thread") or {}
    channel_id, thread_ts = str(pane.get("channel_id") or ""), str(pane.get("thread_ts") or "")
    if not channel_id or not thread_ts:
        return
    if not await threads.claim(services.db, f"pane:{context.team_id}:{channel_id}:{thread_ts}"):
        return
    await greet(
        client,
        channel_id=channel_id,
        thread_ts=thread_ts,
        context_channel_id=(pane.get("context") or {}).get("channel_id"),
        greeting=services.settings.assistant_greeting,
        prompts=services.settings.assistant_prompts,
    )


async def pane_context_changed(
    event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    pane = event.get("assistant_thread") or {}
    new_channel = (pane.get("context") or {}).get("channel_id")
    if pane.get("channel_id") and pane.get("thread_ts") and new_channel:
        await follow_context(
            client,
            identity(context),
            channel_id=str(pane["channel_id"]),
            thread_ts=str(pane["thread_ts"]),
            context_channel_id=str(new_channel),
        )


def register(app: AsyncApp) -> None:
    app.event("assistant_thread_started")(pane_opened)
    app.event("assistant_thread_context_changed")(pane_context_changed)

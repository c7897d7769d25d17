"""Message shortcuts: Ask Claude about this, Summarize thread, Translate."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.core.shortcuts import Shortcut
from bot.flows.intake import identity
from bot.flows.shortcut_flow import run_shortcut
from bot.listeners.context import services_of
from bot.slack.client import BudgetedWebClient


async def shortcut_picked(
    ack: AsyncAck,
    shortcut: dict[str, Any],
    context: AsyncBoltContext,
    client: BudgetedWebClient,
    respond: AsyncRespond,
) -> None:
    await ack()
    await run_shortcut(
        services_of(context),
        client,
        identity(context),
        respond,
        shortcut=Shortcut(shortcut["callback_id"]),
        payload=shortcut,
        team_id=str(context.team_id or (shortcut.get("team") or {}).get("id") or ""),
        enterprise_id=context.enterprise_id,
    )


def register(app: AsyncApp) -> None:
    for kind in Shortcut:
        app.message_shortcut(kind.value)(shortcut_picked)

"""Message shortcuts: Ask Claude about this, Summarize thread, Translate."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.intake import identity
from bot.services import Services
from bot.shortcuts import Shortcut
from bot.slack.client import BudgetedWebClient
from bot.slack.shortcut_flow import run_shortcut


def register(app: AsyncApp, services: Services) -> None:
    async def on_shortcut(
        ack: AsyncAck,
        shortcut: dict[str, Any],
        context: AsyncBoltContext,
        client: BudgetedWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        await run_shortcut(
            services,
            client,
            identity(context),
            respond,
            shortcut=Shortcut(shortcut["callback_id"]),
            payload=shortcut,
            team_id=str(context.team_id or (shortcut.get("team") or {}).get("id") or ""),
            enterprise_id=context.enterprise_id,
        )

    for kind in Shortcut:
        app.message_shortcut(kind.value)(on_shortcut)

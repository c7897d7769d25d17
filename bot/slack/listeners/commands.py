"""`/claude`: every answer is ephemeral (the `ack` text), so only the person asking sees it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import admin, commands
from bot.intake import identity
from bot.services import Services
from bot.slack.channel_summary import summarize_command
from bot.slack.client import BudgetedWebClient


def register(app: AsyncApp, services: Services) -> None:
    async def on_claude(
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        client: BudgetedWebClient,
        respond: AsyncRespond,
    ) -> None:
        parsed = commands.parse(command.get("text") or "")
        team_id = str(context.team_id or command.get("team_id"))
        if parsed.kind == "summarize":
            await ack()
            await summarize_command(
                services,
                client,
                identity(context),
                respond,
                command,
                team_id=team_id,
                enterprise_id=context.enterprise_id,
            )
            return
        caller = admin.Caller(
            team_id=team_id,
            enterprise_id=context.enterprise_id,
            user_id=str(command.get("user_id")),
            channel_id=str(command.get("channel_id")),
        )
        if parsed.kind == "prompt_edit":
            text = await admin.open_editor(services, client, parsed, caller, str(command.get("trigger_id")))
        else:
            text = await admin.answer(services, client, parsed, caller)
        await ack(text=text or "")

    app.command("/claude")(on_claude)

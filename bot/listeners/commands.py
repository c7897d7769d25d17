"""`/claude`: every answer is ephemeral (the `ack` text), so only the person asking sees it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.core import command_syntax
from bot.flows import claude_command
from bot.flows.channel_summary import summarize_command
from bot.flows.intake import identity
from bot.listeners.context import services_of
from bot.slack.client import BudgetedWebClient


async def claude_command_received(
    ack: AsyncAck,
    command: dict[str, Any],
    context: AsyncBoltContext,
    client: BudgetedWebClient,
    respond: AsyncRespond,
) -> None:
    services = services_of(context)
    parsed = command_syntax.parse(command.get("text") or "")
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
    caller = claude_command.Caller(
        team_id=team_id,
        enterprise_id=context.enterprise_id,
        user_id=str(context.user_id),
        channel_id=str(context.channel_id),
    )
    if parsed.kind == "prompt_edit":
        text = await claude_command.open_editor(
            services, client, parsed, caller, str(command.get("trigger_id"))
        )
    else:
        text = await claude_command.answer(services, client, parsed, caller)
    await ack(text=text or "")


def register(app: AsyncApp) -> None:
    app.command("/claude")(claude_command_received)

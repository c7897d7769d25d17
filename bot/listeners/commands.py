"""`/claude`: every answer is ephemeral (the `ack` text), so only the person asking sees it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import command_syntax
from bot.flows import claude_command
from bot.listeners.context import services_of


async def claude_command_received(
    ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    services = services_of(context)
    parsed = command_syntax.parse(command.get("text") or "")
    caller = claude_command.Caller(
        team_id=str(context.team_id or command.get("team_id")),
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

"""Modal submissions: the prompt editor `/claude prompt` opens."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.flows import claude_command
from bot.listeners.context import services_of
from bot.slack import prompt_modal


async def prompt_saved(
    ack: AsyncAck, view: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    target, text = prompt_modal.submitted(view)
    caller = claude_command.Caller(
        team_id=str(context.team_id),
        enterprise_id=context.enterprise_id,
        user_id=str(context.user_id),
        channel_id=target.channel_id or "",
    )
    refusal = await claude_command.save_edited(services_of(context), client, caller, target, text)
    if refusal is not None:
        await ack(response_action="errors", errors={prompt_modal.BLOCK_ID: refusal})
    else:
        await ack(response_action="update", view=prompt_modal.saved_view(target, text))


def register(app: AsyncApp) -> None:
    app.view(prompt_modal.CALLBACK_ID)(prompt_saved)

"""Buttons on the bot's messages."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.services import Services
from bot.slack.blocks import STOP_ACTION

ALREADY_DONE = "That answer has already finished."


def register(app: AsyncApp, services: Services) -> None:
    async def on_stop(ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        stop = services.stops.get(str(action.get("value")))
        if stop is None:
            await respond(text=ALREADY_DONE, response_type="ephemeral", replace_original=False)
            return
        stop.set()

    app.action(STOP_ACTION)(on_stop)

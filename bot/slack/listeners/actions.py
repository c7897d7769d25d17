"""Buttons on the bot's messages: Stop while it writes, Retry and Continue on its notices."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.intake import answer, identity
from bot.routing import Thread
from bot.services import Services
from bot.slack.blocks import CONTINUE_ACTION, RETRY_ACTION, STOP_ACTION
from bot.store import threads
from bot.turn import CONTINUE_TEXT, TurnRequest

ALREADY_DONE = "That answer has already finished."


def register(app: AsyncApp, services: Services) -> None:
    async def on_stop(ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        signal = services.stops.get(str(action.get("value")))
        if signal is None:
            await respond(text=ALREADY_DONE, response_type="ephemeral", replace_original=False)
            return
        signal.set("stopped")

    async def on_again(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        target = json.loads(action.get("value") or "{}")
        notice_ts = str((body.get("container") or {}).get("message_ts") or "")
        team_id = str(context.team_id or "")
        if not await threads.claim(services.db, f"action:{team_id}:{target['c']}:{notice_ts}"):
            return
        user = str((body.get("user") or {}).get("id") or "")
        trigger = None
        if action.get("action_id") == CONTINUE_ACTION:
            trigger = {"type": "message", "user": user, "text": CONTINUE_TEXT, "ts": f"{time.time():.6f}"}
        with contextlib.suppress(SlackApiError):
            await client.chat_delete(channel=target["c"], ts=notice_ts)
        thread = Thread(team_id, target["c"], target["t"])
        request = TurnRequest(thread, context.enterprise_id, user or None, trigger)
        await answer(services, client, identity(context), request)

    app.action(STOP_ACTION)(on_stop)
    app.action(RETRY_ACTION)(on_again)
    app.action(CONTINUE_ACTION)(on_again)

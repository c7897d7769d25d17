"""Buttons on the bot's messages: Stop while it writes, Retry and Continue on its notices, 👍/👎
under its answers."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.feedback import acknowledgement
from bot.intake import answer, identity
from bot.routing import Thread
from bot.services import Services
from bot.slack.blocks import (
    CONTINUE_ACTION,
    FEEDBACK_ACTION,
    RETRY_ACTION,
    STOP_ACTION,
    again_target,
    feedback_vote,
)
from bot.slack.client import BudgetedWebClient
from bot.store import feedback, threads
from bot.turn import CONTINUE_TEXT, TurnRequest

ALREADY_DONE = "That answer has already finished."
NOT_YOURS = "That button belongs to another workspace's answer."
OUTDATED = "That button is from an earlier version of this app and no longer works. Mention me to ask again."


def register(app: AsyncApp, services: Services) -> None:
    async def on_stop(
        ack: AsyncAck, action: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
    ) -> None:
        await ack()
        signal = services.stops.get(str(action.get("value")))
        if signal is None:
            await _tell(respond, ALREADY_DONE)
        elif not signal.owner.allows(context.team_id, context.enterprise_id):
            await _tell(respond, NOT_YOURS)
        else:
            signal.set("stopped")

    async def on_again(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: BudgetedWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        target = again_target(str(action.get("value") or ""))
        if target is None or not target.owner.allows(context.team_id, context.enterprise_id):
            await _tell(respond, OUTDATED if target is None else NOT_YOURS)
            return
        notice_ts = str((body.get("container") or {}).get("message_ts") or "")
        team_id = target.owner.team_id
        if not await threads.claim(services.db, f"action:{team_id}:{target.channel_id}:{notice_ts}"):
            return
        user = str((body.get("user") or {}).get("id") or "")
        trigger = None
        if action.get("action_id") == CONTINUE_ACTION:
            trigger = {"type": "message", "user": user, "text": CONTINUE_TEXT, "ts": f"{time.time():.6f}"}
        with contextlib.suppress(SlackApiError):
            await client.chat_delete(channel=target.channel_id, ts=notice_ts)
        thread = Thread(team_id, target.channel_id, target.thread_ts)
        request = TurnRequest(thread, context.enterprise_id, user or None, trigger)
        await answer(services, client, identity(context), request)

    async def on_feedback(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        container = body.get("container") or {}
        vote = feedback_vote(str(action.get("value") or ""), str(container.get("message_ts") or ""))
        channel_id = container.get("channel_id")
        user_id = (body.get("user") or {}).get("id")
        if vote is None or not channel_id or not user_id:
            return
        rating, reply_ts = vote
        outcome = await feedback.record(
            services.db,
            team_id=str(context.team_id or ""),
            channel_id=str(channel_id),
            reply_ts=reply_ts,
            user_id=str(user_id),
            rating=rating,
        )
        await _tell(respond, acknowledgement(outcome, rating))

    app.action(STOP_ACTION)(on_stop)
    app.action(FEEDBACK_ACTION)(on_feedback)
    app.action(RETRY_ACTION)(on_again)
    app.action(CONTINUE_ACTION)(on_again)


async def _tell(respond: AsyncRespond, text: str) -> None:
    """Only to the person who clicked, leaving the message with the button as it is."""
    await respond(text=text, response_type="ephemeral", replace_original=False)

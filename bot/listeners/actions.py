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

from bot.core.ownership import Owner
from bot.core.routing import Thread
from bot.flows.intake import answer, identity
from bot.flows.stops import Pressed
from bot.flows.turn import CONTINUE_TEXT
from bot.flows.turn_request import TurnRequest
from bot.flows.vote_replies import acknowledgement
from bot.listeners.context import services_of
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

ALREADY_DONE = "That answer has already finished."
NOT_YOURS = "That button belongs to another workspace's answer."
OUTDATED = "That button is from an earlier version of this app and no longer works. Mention me to ask again."


async def stop_pressed(
    ack: AsyncAck, action: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    """Stop an answer being written, on whichever replica writes it."""
    await ack()
    clicked_by = Owner(str(context.team_id or ""), context.enterprise_id)
    pressed = await services_of(context).stops.press(str(action.get("value")), clicked_by)
    if pressed is Pressed.ALREADY_DONE:
        await _tell(respond, ALREADY_DONE)
    elif pressed is Pressed.NOT_YOURS:
        await _tell(respond, NOT_YOURS)


async def again_pressed(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    context: AsyncBoltContext,
    client: BudgetedWebClient,
    respond: AsyncRespond,
) -> None:
    """Retry or Continue, from the buttons on a notice: the notice goes, and a new turn starts."""
    await ack()
    services = services_of(context)
    target = again_target(str(action.get("value") or ""))
    if target is None or not target.owner.allows(context.team_id, context.enterprise_id):
        await _tell(respond, OUTDATED if target is None else NOT_YOURS)
        return
    notice_ts = str((body.get("container") or {}).get("message_ts") or "")
    team_id = target.owner.team_id
    if not await threads.claim(services.db, f"action:{team_id}:{target.channel_id}:{notice_ts}"):
        return
    user = str(context.user_id or "")
    trigger = None
    if action.get("action_id") == CONTINUE_ACTION:
        trigger = {"type": "message", "user": user, "text": CONTINUE_TEXT, "ts": f"{time.time():.6f}"}
    with contextlib.suppress(SlackApiError):
        await client.chat_delete(channel=target.channel_id, ts=notice_ts)
    thread = Thread(team_id, target.channel_id, target.thread_ts)
    request = TurnRequest(thread, context.enterprise_id, user or None, trigger)
    await answer(services, client, identity(context), request)


async def feedback_pressed(
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
    user_id = context.user_id
    if vote is None or not channel_id or not user_id:
        return
    rating, reply_ts = vote
    outcome = await feedback.record(
        services_of(context).db,
        team_id=str(context.team_id or ""),
        channel_id=str(channel_id),
        reply_ts=reply_ts,
        user_id=str(user_id),
        rating=rating,
    )
    await _tell(respond, acknowledgement(outcome, rating))


def register(app: AsyncApp) -> None:
    app.action(STOP_ACTION)(stop_pressed)
    app.action(FEEDBACK_ACTION)(feedback_pressed)
    app.action(RETRY_ACTION)(again_pressed)
    app.action(CONTINUE_ACTION)(again_pressed)


async def _tell(respond: AsyncRespond, text: str) -> None:
    """Only to the person who clicked, leaving the message with the button as it is."""
    await respond(text=text, response_type="ephemeral", replace_original=False)

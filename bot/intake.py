"""From a Slack event or button to a turn: decide, claim once, queue per thread and behind the
caps on turns at once, answer."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import logs
from bot.admission import Verdict
from bot.conversation import BotIdentity
from bot.routing import Decision, Thread, decide, thread_of
from bot.services import Services
from bot.slack.blocks import RETRY_ACTION, button
from bot.slack.notices import post_notice
from bot.store import threads
from bot.store.threads import MessageClaim
from bot.turn import TurnRequest, again_value, run_turn

log = logging.getLogger(__name__)

UNEXPECTED = "⚠️ Something went wrong on my side while answering. Please try again."
WAITING_STATUS = {
    Verdict.WAIT_FOR_USER: "is waiting for your other answers to finish…",
    Verdict.WAIT_FOR_PROCESS: "is queued behind other answers…",
}
TURNED_AWAY = {
    Verdict.USER_QUEUE_FULL: (
        "⏳ You already have several questions waiting for answers, so I'm not taking this one on. "
        "Please ask again once they're answered."
    ),
    Verdict.QUEUE_FULL: (
        "⏳ I'm answering a lot of questions right now and can't queue any more. "
        "Please ask again in a few minutes."
    ),
    Verdict.CLOSED: "⚠️ The bot restarted before it could answer this. Please ask again.",
}
STATUS_REFRESH_SECONDS = 100.0
"""Slack clears a status after two minutes without a message: a longer wait says so again."""


def identity(context: AsyncBoltContext) -> BotIdentity:
    return BotIdentity(user_id=str(context.bot_user_id), bot_id=context.bot_id)


async def take_message(
    services: Services,
    event: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    event_id: str | None = None,
) -> None:
    bot = identity(context)
    decision = decide(event, bot=bot, answer_bots=services.settings.bot_answer_other_bots)
    if decision is Decision.IGNORE:
        return
    team_id = str(context.team_id or event.get("team") or "")
    thread = thread_of(event, team_id)
    logs.bind(event_id=event_id, team_id=team_id, channel_id=thread.channel_id, thread_ts=thread.thread_ts)
    if decision is Decision.IF_BOT_THREAD and not await threads.is_member(
        services.db, team_id, thread.channel_id, thread.thread_ts
    ):
        return
    key = f"{team_id}:{thread.channel_id}:{event['ts']}"
    if not await services.claims.take(MessageClaim(key, team_id, thread.channel_id, thread.thread_ts)):
        return
    request = TurnRequest(thread, context.enterprise_id, event.get("user"), dict(event))
    await answer(services, client, bot, request)


async def answer(services: Services, client: AsyncWebClient, bot: BotIdentity, request: TurnRequest) -> None:
    """Run the turn in its thread's lane, once its person and the process have room; a crash still
    leaves a note in the thread, and a turn that can't be queued (or won't run: shutdown) says so."""

    async def attempt(current: TurnRequest) -> None:
        thread = current.thread
        person = f"{thread.team_id}:{current.user_id or '-'}"
        waiting = functools.partial(_show_waiting, client, thread)
        async with services.admission.turn(person, waiting) as verdict:
            if verdict is not Verdict.GO:
                await _turn_away(client, thread, verdict)
                return
            try:
                await run_turn(services, client, bot, current)
            except Exception:
                log.exception("turn failed in %s", thread.key)
                await post_notice(
                    client,
                    channel=thread.channel_id,
                    thread_ts=thread.thread_ts,
                    text=UNEXPECTED,
                    kind="crash",
                )

    await services.lanes.run(request.thread.key, request, attempt)


async def _show_waiting(client: AsyncWebClient, thread: Thread, verdict: Verdict) -> None:
    """The thread's status says why nothing happens yet, until the wait ends (this is cancelled)."""
    while True:
        with contextlib.suppress(SlackApiError):
            await client.assistant_threads_setStatus(
                channel_id=thread.channel_id, thread_ts=thread.thread_ts, status=WAITING_STATUS[verdict]
            )
        await asyncio.sleep(STATUS_REFRESH_SECONDS)


async def _turn_away(client: AsyncWebClient, thread: Thread, verdict: Verdict) -> None:
    level = logging.WARNING if verdict is Verdict.QUEUE_FULL else logging.INFO
    log.log(level, "not answering in %s: %s", thread.key, verdict.value)
    retry = [button("Retry", RETRY_ACTION, again_value(thread))] if verdict is Verdict.CLOSED else None
    await post_notice(
        client,
        channel=thread.channel_id,
        thread_ts=thread.thread_ts,
        text=TURNED_AWAY[verdict],
        kind=verdict.value,
        actions=retry,
    )

"""From a Slack event or button to a turn: decide, claim once, queue per thread and behind the
caps on turns at once, answer."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot.core.conversation import BotIdentity
from bot.core.ownership import Owner
from bot.core.routing import Decision, Thread, decide, thread_of
from bot.flows.admission import Verdict
from bot.flows.shared import Services
from bot.flows.turn import run_turn
from bot.flows.turn_request import TurnRequest
from bot.process import logs
from bot.slack.blocks import RETRY_ACTION, AgainTarget, again_value, button
from bot.slack.client import BudgetedWebClient
from bot.slack.notices import post_notice
from bot.slack.reply import THINKING_STATUS
from bot.store import threads
from bot.store.threads import MessageClaim

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


def author(request: TurnRequest) -> str | None:
    return request.user_id


def follow_up(request: TurnRequest, user_id: str | None) -> TurnRequest:
    """The turn for a message another replica left waiting in this thread: its author's, reading
    the thread back from Slack (there is no event here to start from)."""
    return replace(request, user_id=user_id, trigger=None, thinking=None, action_token=None)


def identity(context: AsyncBoltContext) -> BotIdentity:
    return BotIdentity(user_id=str(context.bot_user_id), bot_id=context.bot_id)


async def take_message(
    services: Services,
    event: dict[str, Any],
    context: AsyncBoltContext,
    client: BudgetedWebClient,
    event_id: str | None = None,
    *,
    redelivered: bool = False,
) -> None:
    bot = identity(context)
    decision = decide(event, bot=bot, answer_bots=services.settings.bot_answer_other_bots)
    if decision is Decision.IGNORE:
        return
    team_id = str(context.team_id or event.get("team") or "")
    thread = thread_of(event, team_id)
    logs.bind(event_id=event_id, team_id=team_id, channel_id=thread.channel_id, thread_ts=thread.thread_ts)

    async def take() -> None:
        await _take(services, event, context, client, bot, decision, thread, redelivered=redelivered)

    await services.backlog.attempt("message", take)


async def _take(
    services: Services,
    event: dict[str, Any],
    context: AsyncBoltContext,
    client: BudgetedWebClient,
    bot: BotIdentity,
    decision: Decision,
    thread: Thread,
    *,
    redelivered: bool,
) -> None:
    """Claim the message (once across replicas and redeliveries) and answer it."""
    team_id = thread.team_id
    if decision is Decision.IF_BOT_THREAD and not await threads.is_member(
        services.db, team_id, thread.channel_id, thread.thread_ts
    ):
        return
    thinking = None
    if _thinks_early(event, decision, redelivered=redelivered):
        thinking = asyncio.create_task(_think(client, thread))
    key = f"{team_id}:{thread.channel_id}:{event['ts']}"
    claimed = False
    try:
        claimed = await services.claims.take(MessageClaim(key, team_id, thread.channel_id, thread.thread_ts))
    finally:
        if thinking is not None and not claimed:
            await thinking  # the message's taker shows the same status
    if not claimed:
        return
    trigger = {key: value for key, value in event.items() if key != "action_token"}
    token = event.get("action_token")
    request = TurnRequest(
        thread,
        context.enterprise_id,
        event.get("user"),
        trigger,
        thinking,
        action_token=token if isinstance(token, str) and token else None,
    )
    await answer(services, client, bot, request)


def _thinks_early(event: dict[str, Any], decision: Decision, *, redelivered: bool) -> bool:
    """Whether the "is thinking…" status goes out before the claim, which in a burst waits behind
    everyone else's events: for a question that starts a thread of its own (no answer there yet for
    the status to sit under), on its first delivery (a redelivery's answer may be written already),
    and once per mention (its `message` twin leaves it to the `app_mention`)."""
    if decision is not Decision.ANSWER or redelivered or event.get("thread_ts"):
        return False
    return event.get("type") == "app_mention" or event.get("channel_type") == "im"


async def _think(client: BudgetedWebClient, thread: Thread) -> bool:
    """True once Slack shows the status. Never raises: whatever failed, the turn's reply writer
    tries again and has the fallback (a placeholder message)."""
    try:
        await client.assistant_threads_setStatus(
            channel_id=thread.channel_id, thread_ts=thread.thread_ts, status=THINKING_STATUS
        )
    except Exception as exc:  # a cosmetic call with a fallback: the writer reports what fails
        log.info("early status failed: %s", type(exc).__name__)
        return False
    return True


async def answer(
    services: Services, client: BudgetedWebClient, bot: BotIdentity, request: TurnRequest
) -> None:
    """Run the turn in its thread's lane, once its person and the process have room; a crash still
    leaves a note in the thread, and a turn that can't be queued (or won't run: shutdown) says so."""

    async def attempt(current: TurnRequest) -> None:
        thread = current.thread
        person = f"{thread.team_id}:{current.user_id or '-'}"
        waited = False

        async def waiting(verdict: Verdict) -> None:
            nonlocal waited
            waited = True
            if current.thinking is not None:
                await current.thinking  # so "waiting" lands after "thinking", not before
            await _show_waiting(client, thread, verdict)

        async with services.admission.turn(person, waiting) as verdict:
            if verdict is not Verdict.GO:
                await _turn_away(client, current, verdict)
                return
            if waited:  # the status says "waiting": the turn says "thinking" again
                current = replace(current, thinking=None)
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


async def _show_waiting(client: BudgetedWebClient, thread: Thread, verdict: Verdict) -> None:
    """The thread's status says why nothing happens yet, until the wait ends (this is cancelled).
    Never raises: the wait goes on whatever Slack says."""
    while True:
        try:
            await client.assistant_threads_setStatus(
                channel_id=thread.channel_id, thread_ts=thread.thread_ts, status=WAITING_STATUS[verdict]
            )
        except Exception as exc:  # a cosmetic call: the turn's own status follows when it starts
            log.info("waiting status failed: %s", type(exc).__name__)
        await asyncio.sleep(STATUS_REFRESH_SECONDS)


async def _turn_away(client: BudgetedWebClient, request: TurnRequest, verdict: Verdict) -> None:
    thread = request.thread
    level = logging.WARNING if verdict is Verdict.QUEUE_FULL else logging.INFO
    log.log(level, "not answering in %s: %s", thread.key, verdict.value)
    target = AgainTarget(Owner(thread.team_id, request.enterprise_id), thread.channel_id, thread.thread_ts)
    retry = [button("Retry", RETRY_ACTION, again_value(target))] if verdict is Verdict.CLOSED else None
    await post_notice(
        client,
        channel=thread.channel_id,
        thread_ts=thread.thread_ts,
        text=TURNED_AWAY[verdict],
        kind=verdict.value,
        actions=retry,
    )

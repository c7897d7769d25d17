"""From a Slack event or button to a turn: decide, claim once, queue per thread, answer."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import logs
from bot.conversation import BotIdentity
from bot.routing import Decision, decide, thread_of
from bot.services import Services
from bot.slack.notices import post_notice
from bot.store import threads
from bot.store.threads import MessageClaim
from bot.turn import TurnRequest, run_turn

log = logging.getLogger(__name__)

UNEXPECTED = "⚠️ Something went wrong on my side while answering. Please try again."


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
    """Run the turn in its thread's lane; a crash still leaves a note in the thread."""

    async def attempt(current: TurnRequest) -> None:
        try:
            await run_turn(services, client, bot, current)
        except Exception:
            log.exception("turn failed in %s", current.thread.key)
            await post_notice(
                client,
                channel=current.thread.channel_id,
                thread_ts=current.thread.thread_ts,
                text=UNEXPECTED,
                kind="crash",
            )

    await services.lanes.run(request.thread.key, request, attempt)

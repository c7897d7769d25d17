"""One conversational turn, start to finish: thread → Claude → Slack → ledger."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.claude.stream import StreamResult, stream_answer
from bot.conversation import BotIdentity, build_messages, mentioned_user_ids
from bot.prompts import system_prompt
from bot.routing import Thread
from bot.services import Services
from bot.slack.history import fetch_thread, with_trigger
from bot.slack.notices import post_notice
from bot.slack.ratebudget import workspace_key
from bot.slack.reply import ReplyTarget, SlackReply, WriterOptions
from bot.store import ledger, prompts
from bot.store.models import UsageRecord

log = logging.getLogger(__name__)

CUT_NOTE = "✂️ The answer was cut off here: it reached the length limit for one reply."
STOPPED_NOTE = "■ Stopped. The answer above is as far as Claude got."
UNREADABLE_THREAD = (
    "⚠️ I couldn't read this thread from Slack, so I can't answer yet. Please try again in a moment."
)


@dataclass(frozen=True)
class TurnRequest:
    thread: Thread
    enterprise_id: str | None
    user_id: str | None
    trigger: dict[str, Any]
    """The message that started the turn, in case Slack's history doesn't have it yet."""


async def run_turn(
    services: Services, client: AsyncWebClient, bot: BotIdentity, request: TurnRequest
) -> None:
    settings = services.settings
    thread = request.thread
    reply_id = uuid.uuid4().hex
    target = ReplyTarget(
        client,
        thread.channel_id,
        thread.thread_ts,
        workspace_key(client.token),
        recipient_team_id=thread.team_id,
        recipient_user_id=request.user_id,
    )
    options = WriterOptions(
        settings.slack_update_interval,
        settings.slack_message_chars,
        stop_value=reply_id if settings.slack_stop_button else None,
    )
    writer = SlackReply(target, services.budgets, services.native, options)
    await writer.start()
    params = await _request_params(services, client, bot, request)
    if params is None:
        await writer.finish()
        await post_notice(
            client,
            channel=thread.channel_id,
            thread_ts=thread.thread_ts,
            text=UNREADABLE_THREAD,
            kind="history",
        )
        return
    stop = services.stops[reply_id] = asyncio.Event()
    try:
        result = await _stream_until_stopped(services, params, writer, stop)
    finally:
        del services.stops[reply_id]
    await writer.finish()
    await _close_with_notice(client, thread, result)
    await ledger.record(services.db, _usage_row(request, params["model"], result))


async def _stream_until_stopped(
    services: Services, params: dict[str, Any], writer: SlackReply, stop: asyncio.Event
) -> StreamResult:
    """Claude's stream, ended early when someone presses Stop; the partial result survives either way."""
    result = StreamResult()
    streaming = asyncio.create_task(stream_answer(services.claude, params, writer.append, result))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({streaming, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not streaming.done():
            streaming.cancel()
            result.stopped = True
        with contextlib.suppress(asyncio.CancelledError):
            await streaming
    return result


async def _request_params(
    services: Services, client: AsyncWebClient, bot: BotIdentity, request: TurnRequest
) -> dict[str, Any] | None:
    thread = request.thread
    try:
        history = await fetch_thread(client, thread.channel_id, thread.thread_ts)
    except SlackApiError as exc:
        log.error("conversations.replies failed: %s", exc.response.get("error"))
        return None
    history = with_trigger(history, request.trigger)
    names = await services.users.names(client, thread.team_id, mentioned_user_ids(history))
    channel_prompt = await prompts.get(services.db, thread.team_id, thread.channel_id)
    messages = build_messages(history, bot=bot, names=names)
    if not messages:
        return None
    return {
        "model": services.settings.claude_model,
        "max_tokens": services.settings.claude_max_tokens,
        "system": system_prompt(
            services.settings.bot_system_prompt, channel_prompt and channel_prompt.prompt
        ),
        "messages": messages,
        "cache_control": {"type": "ephemeral"},
    }


async def _close_with_notice(client: AsyncWebClient, thread: Thread, result: StreamResult) -> None:
    if result.stopped:
        text, kind = STOPPED_NOTE, "stopped"
    elif result.failure is not None:
        text = "⚠️ " + result.failure.user_message
        if result.text:
            text += " The answer above is incomplete."
        kind = result.failure.kind
    elif result.stop_reason == "max_tokens":
        text, kind = CUT_NOTE, "max_tokens"
    elif not result.text.strip():
        text, kind = "Claude had nothing to say to that. Try rephrasing your message.", "empty"
    else:
        return
    await post_notice(client, channel=thread.channel_id, thread_ts=thread.thread_ts, text=text, kind=kind)


def _usage_row(request: TurnRequest, model: str, result: StreamResult) -> UsageRecord:
    usage = result.usage
    return UsageRecord(
        team_id=request.thread.team_id,
        enterprise_id=request.enterprise_id,
        channel_id=request.thread.channel_id,
        thread_ts=request.thread.thread_ts,
        user_id=request.user_id,
        model=model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_creation_input_tokens=usage.cache_creation_input_tokens,
        cache_read_input_tokens=usage.cache_read_input_tokens,
        stop_reason=result.stop_reason,
        request_id=result.request_id or (result.failure and result.failure.request_id),
        ttft_ms=result.ttft_ms,
        duration_ms=result.duration_ms,
        error_kind=result.failure.kind if result.failure else None,
    )

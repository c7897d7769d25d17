"""`/claude summarize`: a channel's recent messages summarized, privately, for a member of it.

Both the person and the bot must be in the channel (`conversations.members`, `conversations.info`:
asked of Slack, never assumed). The history is read once, in at most `HISTORY_PAGES` pages. The
summary is written in a thread of the person's DM with the app, as an answer like any other
(streamed, budgeted, in the ledger); a history too long for one request is first condensed part
by part, each part one Claude call within the monthly budget and in the ledger, the thread's
status saying which part is being read.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.claude.stream import Deadlines, StreamResult, stream_answer
from bot.core.channel_summary import (
    CONDENSE_QUESTION,
    CONDENSE_SYSTEM,
    FINAL_QUESTION,
    SummaryAsk,
    describe_since,
    history_lines,
    parse_args,
    parts,
    progress,
)
from bot.core.context_window import CHARS_PER_TOKEN
from bot.core.conversation import BotIdentity, people_to_name
from bot.core.routing import Thread
from bot.flows.intake import answer
from bot.flows.shared import Services
from bot.flows.turn_ledger import account
from bot.flows.turn_request import TurnRequest
from bot.flows.turn_setup import load_setup, reserve
from bot.slack.access import Seen, is_member
from bot.slack.client import BudgetedWebClient
from bot.slack.notices import post_notice

log = logging.getLogger(__name__)

HISTORY_PAGES = 5
HISTORY_PAGE_SIZE = 200
"""At most 1,000 messages, in 5 `conversations.history` calls (Tier 3, and one a minute for
commercially distributed apps outside the Marketplace)."""
PART_SHARE = 2
"""A part of the history takes at most half the context budget (the rest: prompt and notes)."""
NOTES_TOKENS = 1_500
"""Output cap of one part's notes."""
MAX_PARTS = 8
"""Parts condensed at most; a longer history keeps its newest parts."""

NOT_BOTH = "I can only summarize a channel that both you and I are in."
INVITE_ME = "I'm not in <#{channel}>: invite me there (`/invite @Claude`) and ask again."
NOTHING = "Nothing was said in <#{channel}> since {since}."
STARTED = "📝 Summarizing <#{channel}> since {since}: the summary will arrive in your DM with me."
UNREADABLE = "⚠️ I couldn't read <#{channel}> from Slack just now. Please try again in a moment."
UNREAD = "⚠️ Claude couldn't read this channel's history just now. Please try again in a few minutes."
STOPPED_EARLY = (
    "ℹ️ Only the newest {done} of {total} parts of the history could be read (the monthly budget "
    "ran out, or Claude failed): the summary covers those."
)


async def summarize_command(
    services: Services,
    client: BudgetedWebClient,
    bot: BotIdentity,
    respond: AsyncRespond,
    command: dict[str, Any],
    *,
    team_id: str,
    enterprise_id: str | None,
) -> None:
    """After the command's ack: check, tell the person (only them) what happens, and do it.
    `team_id`: the workspace the request was authorized for, whose budget and ledger it uses."""
    user_id = str(command.get("user_id") or "")
    ask = parse_args(
        str(command.get("text") or "").partition(" ")[2],
        here=str(command.get("channel_id") or ""),
        here_name=str(command.get("channel_name") or ""),
        now=datetime.now(UTC),
    )
    if isinstance(ask, str):
        await _tell(respond, ask)
        return
    refused, name = await _check(client, ask, user_id)
    if refused is not None:
        await _tell(respond, refused)
        return
    await _tell(respond, STARTED.format(channel=ask.channel_id, since=describe_since(ask.since)))
    await summarize_channel(
        services, client, bot, ask, name, team_id=team_id, enterprise_id=enterprise_id, user_id=user_id
    )


async def _check(client: BudgetedWebClient, ask: SummaryAsk, user_id: str) -> tuple[str | None, str]:
    """Why this summary can't be made (None when it can), and the channel's name."""
    if await is_member(client, ask.channel_id, user_id) is not Seen.VISIBLE:
        return NOT_BOTH, ""
    try:
        info = (await client.conversations_info(channel=ask.channel_id)).get("channel") or {}
    except SlackApiError:
        return NOT_BOTH, ""
    if info.get("is_member") is False:
        return INVITE_ME.format(channel=ask.channel_id), ""
    return None, str(info.get("name") or ask.channel_id)


async def summarize_channel(
    services: Services,
    client: BudgetedWebClient,
    bot: BotIdentity,
    ask: SummaryAsk,
    name: str,
    *,
    team_id: str,
    enterprise_id: str | None,
    user_id: str,
) -> None:
    """Read, condense where needed, and answer in a new thread of the person's DM."""
    channel = ask.channel_id
    since = describe_since(ask.since)
    try:
        messages = await _history(client, channel, ask.since.timestamp())
    except SlackApiError as exc:
        log.warning("channel history failed: %s", exc.response.get("error"))
        await client.chat_postMessage(channel=user_id, text=UNREADABLE.format(channel=channel))
        return
    if not messages:
        await client.chat_postMessage(channel=user_id, text=NOTHING.format(channel=channel, since=since))
        return
    names = await services.users.names(
        client, team_id, people_to_name(messages, bot=bot), limit=services.settings.user_lookups_per_turn
    )
    lines = history_lines(messages, names=names, bot_user_id=bot.user_id)
    root = await client.chat_postMessage(
        channel=user_id, text=f"📝 <#{channel}> since {since}, just for you:"
    )
    thread = Thread(team_id, str(root["channel"]), str(root["ts"]))
    request = TurnRequest(thread, enterprise_id, user_id, None)
    chunks = parts(lines, int(services.settings.context_budget_tokens // PART_SHARE * CHARS_PER_TOKEN))
    chunks = chunks[-MAX_PARTS:]
    if len(chunks) == 1:
        context, what = "\n".join(chunks[0]), "messages"
    else:
        notes, refusal = await _condense(services, client, request, chunks, name)
        if len(notes) < len(chunks):
            said = STOPPED_EARLY.format(done=len(notes), total=len(chunks)) if notes else refusal or UNREAD
            await post_notice(
                client, channel=thread.channel_id, thread_ts=thread.thread_ts, text=said, kind="summary"
            )
        if not notes:
            return
        context, what = "\n\n".join(notes), "notes on its messages"
    question = FINAL_QUESTION.format(channel=channel, since=since, what=what)
    trigger = {"type": "message", "user": user_id, "text": question, "ts": f"{time.time():.6f}"}
    final = TurnRequest(thread, enterprise_id, user_id, trigger, context=(context,))
    await answer(services, client, bot, final)


async def _history(client: BudgetedWebClient, channel: str, oldest: float) -> list[dict[str, Any]]:
    """Top-level messages since `oldest`, newest first, in at most `HISTORY_PAGES` calls."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        response = await client.conversations_history(
            channel=channel, oldest=f"{oldest:.6f}", limit=HISTORY_PAGE_SIZE, cursor=cursor
        )
        messages.extend(response.get("messages") or [])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not response.get("has_more") or cursor is None:
            break
    return messages


async def _condense(
    services: Services,
    client: BudgetedWebClient,
    request: TurnRequest,
    chunks: list[list[str]],
    channel_name: str,
) -> tuple[list[str], str | None]:
    """Notes for each part, newest part first backwards so a budget that runs out keeps the
    newest; returned oldest first, with what the budget said when it refused a part. Each call is
    reserved against the budget and in the ledger."""
    thread = request.thread
    setup = await load_setup(services, client, thread)
    if setup.refusal is not None:
        return [], setup.refusal
    settings = services.settings
    deadlines = Deadlines.of(settings)
    notes: list[str] = []
    for index in range(len(chunks) - 1, -1, -1):
        await _status(client, thread, progress(len(chunks) - index, len(chunks), channel_name))
        question = CONDENSE_QUESTION.format(part=index + 1, parts=len(chunks))
        params = {
            "model": setup.model,
            "max_tokens": NOTES_TOKENS,
            "system": CONDENSE_SYSTEM,
            "messages": [{"role": "user", "content": f"{question}\n\n" + "\n".join(chunks[index])}],
        }
        reservation = await reserve(services, thread, setup, params)
        if reservation.refusal is not None:
            return notes, reservation.refusal
        result = await stream_answer(
            services.claude, params, lambda _: None, StreamResult(), deadlines=deadlines
        )
        await account(services, request, setup.model, result, None, reservation.id)
        if result.failure is not None or not result.text.strip():
            break
        notes.insert(0, f"Notes on part {index + 1}:\n{result.text.strip()}")
    return notes, None


async def _tell(respond: AsyncRespond, text: str) -> None:
    await respond(text=text, response_type="ephemeral")


async def _status(client: BudgetedWebClient, thread: Thread, status: str) -> None:
    try:
        await client.assistant_threads_setStatus(
            channel_id=thread.channel_id, thread_ts=thread.thread_ts, status=status
        )
    except SlackApiError as exc:  # cosmetic: the summary goes on
        log.info("summary progress status failed: %s", exc.response.get("error"))

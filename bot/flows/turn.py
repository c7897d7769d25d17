"""One conversational turn, start to finish: thread → Claude → Slack → ledger."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.claude.blocks import Activity
from bot.claude.server_tools import continuation, feature_params, thinking_room, with_results
from bot.claude.stream import Deadlines, StreamResult, Usage, stream_answer
from bot.core.citations import error_line, sources_text
from bot.core.context_window import Trimmed, fit_thread
from bot.core.conversation import BotIdentity, build_messages, people_to_name
from bot.core.ownership import Owner
from bot.core.routing import Thread
from bot.core.slack_search import NO_TOKEN_NOTE, Limits, calls_of, merged_sources
from bot.core.tool_status import status_text
from bot.files import allowed_origins, attachments_for_thread
from bot.files.estimate import context_tokens
from bot.flows.pane_turn import follow_pane
from bot.flows.shared import Services
from bot.flows.slack_search import SlackSearch
from bot.flows.thread_lanes import StopSignal
from bot.flows.turn_ledger import account
from bot.flows.turn_notices import close_with_notice, files_note, notice
from bot.flows.turn_request import TurnRequest
from bot.flows.turn_setup import TurnSetup, load_setup, reserve
from bot.process import metrics
from bot.slack.client import BudgetedWebClient
from bot.slack.history import ThreadRead, read_thread, starts_thread, with_trigger
from bot.slack.question_links import TurnLinks, links_for_turn, merged
from bot.slack.reply import ReplyTarget, SlackReply, WriterOptions
from bot.slack.status_line import StatusLine

log = logging.getLogger(__name__)

Messages = list[dict[str, Any]]
Blocks = dict[str, list[dict[str, Any]]]

UNREADABLE_THREAD = (
    "⚠️ I couldn't read this thread from Slack, so I can't answer yet. Please try again in a moment."
)
BUSY_STATUS = "is waiting for Claude (busy, retrying)…"
CONTINUE_TEXT = "Please continue exactly where you stopped."
EDGE = 0.85
"""Above this share of the budget, the estimate is checked with `messages.count_tokens`."""
READ_SHARE = 0.1
"""Claude's stream is read in batches a tenth of the Slack update interval apart (0.1 s by default):
reading every token as it comes costs several times the CPU and shows nothing sooner."""


@dataclass(frozen=True)
class Known:
    """What a turn learns once, before its first request, and keeps for a retry."""

    read: ThreadRead
    names: dict[str, str]
    setup: TurnSetup
    links: TurnLinks


@dataclass(frozen=True)
class Prepared:
    params: dict[str, Any]
    omitted: int
    file_notes: list[str]
    links_note: str | None = None


async def run_turn(
    services: Services, client: BudgetedWebClient, bot: BotIdentity, request: TurnRequest
) -> None:
    with metrics.IN_FLIGHT.track_inprogress():
        await _run_turn(services, client, bot, request)


async def _run_turn(
    services: Services, client: BudgetedWebClient, bot: BotIdentity, request: TurnRequest
) -> None:
    settings = services.settings
    thread = request.thread
    reply_id = uuid.uuid4().hex
    target = ReplyTarget(
        client,
        thread.channel_id,
        thread.thread_ts,
        recipient_team_id=thread.team_id,
        recipient_user_id=request.user_id,
    )
    options = WriterOptions(
        settings.slack_update_interval,
        settings.slack_message_chars,
        stop_value=reply_id if settings.slack_stop_button else None,
        feedback=settings.slack_feedback_buttons,
    )
    writer = SlackReply(target, services.native, options)
    # The status goes out first, and nothing waits for it but the reply's first write.
    writer.begin(request.thinking)
    budget = settings.context_budget_tokens
    read = await _read(client, request, budget)
    if read is None:
        await writer.finish()
        await notice(client, thread, UNREADABLE_THREAD, "history")
        return
    setup = await load_setup(services, client, await follow_pane(client, bot, thread, read.messages))
    if setup.refusal is not None:
        await writer.finish()
        await notice(client, thread, setup.refusal, "budget")
        return
    context = budget - thinking_room(setup.features, settings, setup.model)
    links = await links_for_turn(
        client,
        services.users,
        bot,
        team_id=thread.team_id,
        asker=request.user_id,
        history=read.messages,
        trigger=request.trigger,
        budget=context,
    )
    people = people_to_name([*read.messages, *links.messages], bot=bot)
    names = await services.users.names(client, thread.team_id, people, limit=settings.user_lookups_per_turn)
    known = Known(read, names, setup, links)
    prepared = await _prepare(services, client, bot, request, known, context)
    if prepared is None:
        await writer.finish()
        await notice(client, thread, UNREADABLE_THREAD, "history")
        return
    reservation = await reserve(services, thread, setup, prepared.params)
    if reservation.refusal is not None:
        await writer.finish()
        await notice(client, thread, reservation.refusal, "budget")
        return
    signal = StopSignal(Owner(thread.team_id, request.enterprise_id))
    services.stops.register(reply_id, signal)
    status = StatusLine(client, thread.channel_id, thread.thread_ts, settings.slack_update_interval * 2)

    def on_activity(activity: Activity) -> None:
        if (text := status_text(activity.kind, activity.detail)) is not None:
            status.show(text, passing=activity.kind == "thinking")

    search = _slack_search(services, client, request, setup)
    try:
        result = await _stream_until_stopped(
            services, client, thread, prepared.params, writer, signal, on_activity=on_activity
        )
        result, held, refusal = await _continue_paused(
            services,
            client,
            request,
            setup,
            prepared.params,
            writer,
            signal,
            result,
            on_activity,
            search,
            held=reservation.id,
        )
        if result.stop_reason == "model_context_window_exceeded" and not result.text.strip():
            await account(services, request, prepared.params["model"], result)
            # The same thread, names and settings, fitted to half the window: nothing is read again.
            smaller = await _prepare(services, client, bot, request, known, context // 2)
            if smaller is not None:
                prepared = smaller
                writer.discard_blank()
                result = await _stream_until_stopped(
                    services, client, thread, prepared.params, writer, signal, on_activity=on_activity
                )
    finally:
        services.stops.forget(reply_id)
        await status.close()
    if failed_tools := error_line(result.blocks.errors):
        writer.append(f"\n\n_{failed_tools}_")
    if search is not None and search.refused:
        writer.append(f"\n\n_{NO_TOKEN_NOTE}_")
    written = await writer.finish()
    found = merged_sources(result.blocks.sources, search.sources() if search is not None else ())
    if sources := sources_text(found):
        await notice(client, thread, sources, "sources")
    if prepared.file_notes:
        await notice(client, thread, files_note(prepared.file_notes), "files")
    if prepared.links_note:
        await notice(client, thread, prepared.links_note, "links")
    if refusal is not None:
        await notice(client, thread, refusal, "budget")
    await close_with_notice(client, thread, result, prepared.omitted, signal)
    reply_ts = written[0] if written else None
    await account(services, request, prepared.params["model"], result, reply_ts, held)


async def _read(client: BudgetedWebClient, request: TurnRequest, tokens: int) -> ThreadRead | None:
    """The thread, read from Slack once per turn; None when Slack won't give it."""
    try:
        return await _history(client, request, tokens)
    except SlackApiError as exc:
        log.error("conversations.replies failed: %s", exc.response.get("error"))
        return None


async def _prepare(
    services: Services,
    client: BudgetedWebClient,
    bot: BotIdentity,
    request: TurnRequest,
    known: Known,
    budget: int,
) -> Prepared | None:
    """The request for this turn. The thread is trimmed to the context window before any file
    is downloaded, counting what Slack says of the files; only the kept messages' files are
    fetched (newest first, within the room one request has), and the thread is fitted again with
    what they turned out to weigh."""
    thread = request.thread
    settings = services.settings
    history, names, setup, links = known.read.messages, known.names, known.setup, known.links
    limits = settings.file_limits()
    linked = merged(links.blocks(names=names, bot=bot), _carried(request))

    def render(subset: Messages, files: Blocks | None = None) -> Messages:
        return build_messages(subset, bot=bot, names=names, attachments=merged(files, linked))

    def declared(message: dict[str, Any]) -> float:
        return 0.0 if bot.wrote(message) else sum(context_tokens(f, limits) for f in _files(message))

    system = setup.system
    outline = fit_thread(history, render, system, budget, skipped=known.read.skipped, extra=declared)
    files = await attachments_for_thread(
        [message for message in outline.kept if _files(message) and not bot.wrote(message)],
        session=services.http,
        team_id=thread.team_id,
        token=client.token or "",
        origins=allowed_origins(settings.slack_api_url),
        limits=limits,
        cache=services.files,
    )

    def prepared(message: dict[str, Any]) -> float:
        return files.tokens.get(str(message.get("ts")), 0.0)

    def fit(tokens: int) -> tuple[Trimmed, Messages]:
        trimmed = fit_thread(outline.kept, render, system, tokens, skipped=outline.omitted, extra=prepared)
        return trimmed, render(trimmed.subset, files.blocks)

    trimmed, messages = fit(budget)
    if not messages:
        return None
    if trimmed.tokens > budget * EDGE:
        trimmed, messages = await _fit_by_count(services, setup.model, fit, system, trimmed, messages, budget)
    params = {
        "model": setup.model,
        "max_tokens": settings.claude_max_tokens,
        "system": system,
        "messages": messages,
        "cache_control": {"type": "ephemeral"},
    } | feature_params(setup.features, settings, setup.model)
    return Prepared(params, trimmed.omitted, files.notes, links.note)


async def _history(client: BudgetedWebClient, request: TurnRequest, tokens: int) -> ThreadRead:
    """A message that starts its thread is all of it: no call. Otherwise the thread as Slack
    has it, with the message that started this turn in case Slack doesn't have it yet."""
    thread, trigger = request.thread, request.trigger
    if trigger is not None and starts_thread(trigger, thread.thread_ts):
        return ThreadRead([trigger], 0)
    read = await read_thread(client, thread.channel_id, thread.thread_ts, tokens=tokens)
    if trigger is None:
        return read
    return ThreadRead(with_trigger(read.messages, trigger), read.skipped)


def _carried(request: TurnRequest) -> Blocks:
    if not request.context or request.trigger is None:
        return {}
    return {str(request.trigger["ts"]): [{"type": "text", "text": text} for text in request.context]}


def _files(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [file for file in message.get("files") or () if isinstance(file, dict)]


async def _fit_by_count(
    services: Services,
    model: str,
    fit: Callable[[int], tuple[Trimmed, Messages]],
    system: str,
    estimated: Trimmed,
    messages: Messages,
    budget: int,
) -> tuple[Trimmed, Messages]:
    """Near the edge the estimate isn't good enough: ask the API, and shrink by what it says."""
    counted = await services.claude.count_tokens(model=model, system=system, messages=messages)
    if counted is None or counted <= budget:
        return estimated, messages
    return fit(int(budget * estimated.tokens / counted))


async def _stream_until_stopped(
    services: Services,
    client: BudgetedWebClient,
    thread: Thread,
    params: dict[str, Any],
    writer: SlackReply,
    signal: StopSignal,
    *,
    on_activity: Callable[[Activity], None] | None = None,
    result: StreamResult | None = None,
) -> StreamResult:
    """Claude's stream, ended early on Stop or shutdown; the partial result survives either way.
    `result`: a paused answer's, which this call continues."""
    settings = services.settings
    deadlines = Deadlines.of(settings)

    async def busy() -> None:
        with contextlib.suppress(SlackApiError):
            await client.assistant_threads_setStatus(
                channel_id=thread.channel_id, thread_ts=thread.thread_ts, status=BUSY_STATUS
            )

    result = result if result is not None else StreamResult()
    streaming = asyncio.create_task(
        stream_answer(
            services.claude,
            params,
            writer.append,
            result,
            deadlines=deadlines,
            on_busy=busy,
            read_every=settings.slack_update_interval * READ_SHARE,
            on_activity=on_activity,
        )
    )
    stopping = asyncio.create_task(signal.event.wait())
    try:
        await asyncio.wait({streaming, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not streaming.done():
            streaming.cancel()
            result.stopped = True
        await asyncio.wait({streaming})
    return result


async def _continue_paused(
    services: Services,
    client: BudgetedWebClient,
    request: TurnRequest,
    setup: TurnSetup,
    params: dict[str, Any],
    writer: SlackReply,
    signal: StopSignal,
    result: StreamResult,
    on_activity: Callable[[Activity], None],
    search: SlackSearch | None = None,
    *,
    held: str | None,
) -> tuple[StreamResult, str | None, str | None]:
    """The API pauses a long turn of server-tool use (`pause_turn`); send its content back so Claude
    goes on, `CLAUDE_PAUSE_TURN_LIMIT` times at most. A call of the Slack search tool (`tool_use`)
    is answered the same way, with its results as the next user turn: at most one round more than
    the answer's searches, the last one telling Claude the limit is reached. Each call reserves its
    estimate against the monthly budget before it goes out, as the first did (`held`), and gets its
    own ledger row settling its reservation; the answer (text, sources) carries on in the same
    result. Returns the result, the reservation the last call's row settles, and what the budget
    said if it stopped the answer."""
    pauses = rounds = 0
    turn_starts = 0
    """Where the current assistant turn's blocks begin in `result.blocks.content`."""
    while not result.stopped and result.failure is None:
        content = result.blocks.content[turn_starts:]
        if result.stop_reason == "pause_turn" and pauses < services.settings.claude_pause_turn_limit:
            pauses += 1
            following = continuation(params, content)
        elif result.stop_reason == "tool_use" and search is not None and rounds <= search.limits.searches:
            rounds += 1
            following = with_results(continuation(params, content), await search.answer(calls_of(content)))
            turn_starts = len(result.blocks.content)
        else:
            break
        reserved = await reserve(services, request.thread, setup, following)
        if reserved.refusal is not None:
            return result, held, reserved.refusal
        if result.stop_reason == "tool_use" and result.text and not result.text[-1].isspace():
            # What Claude says after the results starts a paragraph of its own.
            result.parts.append("\n\n")
            writer.append("\n\n")
        await account(services, request, params["model"], result, reservation=held)
        params, held = following, reserved.id
        result.usage, result.stop_reason = Usage(), None
        result.blocks.next_call()
        result = await _stream_until_stopped(
            services, client, request.thread, params, writer, signal, on_activity=on_activity, result=result
        )
    return result, held, None


def _slack_search(
    services: Services, client: BudgetedWebClient, request: TurnRequest, setup: TurnSetup
) -> SlackSearch | None:
    """The answer's Slack searches when the workspace turned Slack search on."""
    if not setup.features.enabled("slack"):
        return None
    settings = services.settings
    limits = Limits(
        settings.slack_search_max_uses, settings.slack_search_results, settings.slack_search_result_chars
    )
    trigger = request.trigger or {}
    alone = trigger.get("channel_type") == "im"
    question = (request.thread.channel_id, str(trigger["ts"])) if "ts" in trigger else None
    thread = request.thread
    return SlackSearch(services, client, thread.team_id, request.action_token, alone, limits, question)

"""The notices a turn posts after its answer: why it ended early, what didn't reach Claude, and
the buttons to try again or go on. Notices are tagged so history never sends them to Claude."""

from __future__ import annotations

from typing import Any

from bot.claude.stream import StreamResult
from bot.core.routing import Thread
from bot.flows.thread_lanes import StopSignal
from bot.slack.blocks import CONTINUE_ACTION, RETRY_ACTION, AgainTarget, again_value, button
from bot.slack.client import BudgetedWebClient
from bot.slack.notices import post_notice

CUT_NOTE = "✂️ The answer was cut off here: it reached the length limit for one reply."
PAUSED_NOTE = "⏸ Claude was still looking things up when this answer reached its limit of pauses."
SEARCHING_NOTE = "⏸ Claude still wanted to search Slack when this answer reached its limit of searches."
STOPPED_NOTE = "■ Stopped. The answer above is as far as Claude got."
INTERRUPTED_NOTE = "⚠️ The bot restarted while answering, so the answer above is incomplete. Please ask again."
TRIMMED_NOTE = (
    "ℹ️ This thread is long: Claude read its first message and the latest ones "
    "({omitted} earlier messages left out)."
)


async def close_with_notice(
    client: BudgetedWebClient, thread: Thread, result: StreamResult, omitted: int, signal: StopSignal
) -> None:
    value = again_value(AgainTarget(signal.owner, thread.channel_id, thread.thread_ts))
    actions: list[dict[str, Any]] = []
    if result.stopped:
        text, kind = (
            (STOPPED_NOTE, "stopped") if signal.reason == "stopped" else (INTERRUPTED_NOTE, "interrupted")
        )
        if kind == "interrupted":
            actions.append(button("Retry", RETRY_ACTION, value))
    elif result.failure is not None:
        text = "⚠️ " + result.failure.user_message
        if result.text:
            text += " The answer above is incomplete."
        kind = result.failure.kind
        if kind not in {"authentication", "permission", "not_found", "invalid_request", "context_too_long"}:
            actions.append(button("Retry", RETRY_ACTION, value))
    elif result.stop_reason == "max_tokens":
        text, kind = CUT_NOTE, "max_tokens"
        actions.append(button("Continue", CONTINUE_ACTION, value))
    elif result.stop_reason == "pause_turn":
        text, kind = PAUSED_NOTE, "paused"
        actions.append(button("Continue", CONTINUE_ACTION, value))
    elif result.stop_reason == "tool_use":
        text, kind = SEARCHING_NOTE, "searching"
    elif result.stop_reason == "refusal":
        text, kind = _refusal_note(result.refusal_category), "refusal"
    elif not result.text.strip():
        text, kind = "Claude had nothing to say to that. Try rephrasing your message.", "empty"
    elif omitted:
        text, kind = TRIMMED_NOTE.format(omitted=omitted), "trimmed"
    else:
        return
    await notice(client, thread, text, kind, actions)


def files_note(notes: list[str]) -> str:
    escaped = [note.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for note in notes]
    return "📎 Not everything attached reached Claude:\n" + "\n".join(f"• {note}" for note in escaped)


def _refusal_note(category: str | None) -> str:
    reason = f" (category: {category.replace('_', ' ')})" if category else ""
    return f"🙅 Claude declined to answer this{reason}. Try rephrasing, or ask something else."


async def notice(
    client: BudgetedWebClient,
    thread: Thread,
    text: str,
    kind: str,
    actions: list[dict[str, Any]] | None = None,
) -> None:
    await post_notice(
        client, channel=thread.channel_id, thread_ts=thread.thread_ts, text=text, kind=kind, actions=actions
    )

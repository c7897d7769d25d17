"""A busy workspace: many mentions at once under Slack's published limits, several per channel.

One run measures, in one fresh workspace and bot process: one answer alone (the yardstick the
targets are relative to), then the burst (N mentions at once spread over C channels, Slack's
tiers enforced per workspace and `chat.postMessage` per channel), then one more mention in a
new channel once the burst is over (a busy minute must not slow the next person down).

Replies are told apart by thread: every mention starts its own, and its Claude request is found
by the "question N" it carries.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from benchmarks.answer import answer_text
from benchmarks.scenarios import (
    WRITE_METHODS,
    Config,
    Workspace,
    _is_notice,
    _ms,
    _ok,
    _requests_by_question,
    _shows_answer,
    _visible_text,
    workspace,
)
from benchmarks.stats import summary
from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.fakes.slack import Call, FakeSlack

ALONE = 0
"""The question number of the answer measured alone, before the burst."""
AFTER_CHANNEL = "CAFTER"
ALONE_CHANNEL = "CALONE"


def burst_channels(channels: int) -> list[str]:
    return [f"C{i}" for i in range(1, channels + 1)]


async def run_burst(config: Config, *, mentions: int, channels: int) -> dict[str, Any]:
    names = burst_channels(channels)
    answer = answer_text(config.tokens)
    async with workspace(
        config, "auto", users=mentions, channels=[*names, ALONE_CHANNEL, AFTER_CHANNEL], rate_limits=True
    ) as env:
        slack, claude = env.slack, env.claude
        marks = len(slack.calls), slack.rate_limited
        claude.script(*([answer] * (mentions + 2)))

        alone = await _mention(env, ALONE_CHANNEL, 1, ALONE)
        await _until_turns(env, 2, config)
        burst_started = time.monotonic()
        parents = await asyncio.gather(
            *(_mention(env, names[(i - 1) % channels], i, i) for i in range(1, mentions + 1))
        )
        ended_by = await _until_turns(env, 2 + mentions, config)
        burst_ended = time.monotonic()
        after = await _mention(env, AFTER_CHANNEL, 1, mentions + 1)
        await _until_turns(env, 3 + mentions, config)

        calls = slack.calls[marks[0] :]
        by_question = _requests_by_question(claude.requests)
        threads = [(ALONE, alone), *enumerate(parents, start=1), (mentions + 1, after)]
        replies = [thread_figures(slack, calls, by_question.get(q), parent, answer) for q, parent in threads]
        limited = Counter(c.method for c in calls if c.status == 429)
        log = env.bot.log_summary()
    alone_reply, burst, after_reply = replies[0], replies[1:-1], replies[-1]
    finals = [r["final_at"] for r in burst if r["final_at"] is not None]
    return {
        "kind": "burst",
        "mentions": mentions,
        "channels": channels,
        "tokens": config.tokens,
        "ended_by": ended_by,
        "complete": sum(1 for r in burst if r["text_ok"]),
        "rate_limited": slack.rate_limited - marks[1],
        "rate_limited_by_method": dict(limited),
        "alone_mention_to_final_ms": alone_reply["mention_to_final_ms"],
        "alone_mention_to_first_ms": alone_reply["mention_to_first_ms"],
        "latency_ms": {
            name: summary(r[f"{name}_ms"] for r in burst)
            for name in ("thinking", "first_text", "final_text", "mention_to_final")
        },
        "last_final_after_burst_start_ms": _ms(max(finals), burst_started)
        if len(finals) == len(burst)
        else None,
        "burst_wall_seconds": round(burst_ended - burst_started, 2),
        "after": {key: after_reply[key] for key in ("first_text_ms", "final_text_ms", "text_ok")},
        "calls_by_method": dict(Counter(c.method for c in calls)),
        "ways": dict(Counter(r["way"] for r in burst)),
        "bot_log": log,
        "replies": replies,
    }


async def _mention(env: Workspace, channel: str, user: int, question: int) -> dict[str, Any]:
    return await mention(env.slack, env.bot.events_url, channel, f"U{user}", question)


async def mention(slack: FakeSlack, url: str, channel: str, user: str, question: int) -> dict[str, Any]:
    """A person mentions the bot with "question N"; the message, its channel and when it was sent."""
    sent = time.monotonic()
    message = await slack.user_says(url, channel, user, f"<@{slack.bot_user_id}> question {question}")
    return {**message, "channel": channel, "sent_at": sent}


async def _until_turns(env: Workspace, rows: int, config: Config) -> str:
    deadline = time.monotonic() + config.stream_seconds + config.timeout
    while time.monotonic() < deadline:
        if env.ledger_rows() >= rows:
            return "ledger"
        await asyncio.sleep(0.05)
    return "timeout"


def thread_figures(
    slack: FakeSlack, calls: Sequence[Call], request: Any, parent: dict[str, Any], answer: str
) -> dict[str, Any]:
    """One thread's figures: when its text showed, whether Slack ended up with Claude's text."""
    latency = slack.latency
    channel, thread_ts = str(parent["channel"]), str(parent["ts"])
    shown = [
        m
        for m in slack.bot_messages(channel, thread_ts)
        if (m.get("metadata") or {}).get("event_type") != NOTICE_EVENT_TYPE
    ]
    own = {str(m["ts"]) for m in slack.bot_messages(channel, thread_ts)}
    mine = [
        c
        for c in calls
        if str(c.params.get("channel") or c.params.get("channel_id") or "") == channel
        and (str(c.params.get("thread_ts") or "") == thread_ts or str(c.params.get("ts") or "") in own)
    ]
    writes = [c for c in mine if c.method in WRITE_METHODS and _ok(c) and not _is_notice(c)]
    with_text = [c.time for c in writes if _shows_answer(c, answer)]
    landed = with_text + [c.time for c in writes if c.method == "chat.stopStream"]
    thinking = [c.time for c in mine if _ok(c) and c.method == "assistant.threads.setStatus"]
    sent = parent["sent_at"]
    first_delta = request.first_delta if request is not None else None
    last_delta = request.last_delta if request is not None else None
    final_at = max(landed) + latency if landed else None
    text = "".join(_visible_text(m) for m in shown)
    methods = {c.method for c in writes}
    way = "stream" if "chat.startStream" in methods else "edits" if "chat.update" in methods else "whole"
    return {
        "channel": channel,
        "thread_ts": thread_ts,
        "way": way,
        "thinking_ms": _ms(min(thinking) + latency if thinking else None, sent),
        "first_text_ms": _ms(min(with_text) + latency if with_text else None, first_delta),
        "final_text_ms": _ms(final_at, last_delta),
        "mention_to_final_ms": _ms(final_at, sent),
        "mention_to_first_ms": _ms(min(with_text) + latency if with_text else None, sent),
        "final_at": final_at,
        "writes": len(writes),
        "text_ok": text == answer,
    }

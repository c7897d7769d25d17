"""The measured runs: replies at a concurrency, the SDK baseline, ack latency, capacity, RSS, idle.

Every run starts fresh fakes and a fresh bot process: rate-limit windows, caches and the
database then never carry over from one scenario into the next. Every time is
`time.monotonic()` in this process (the fakes record it), so no clocks need lining up; the
bot's CPU and memory come from /proc, from outside.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from benchmarks.answer import answer_text
from benchmarks.procs import (
    BaselineProcess,
    BotProcess,
    RssSampler,
    cpu_seconds,
    cpu_share,
    free_port,
    memory_kb,
)
from benchmarks.stats import summary
from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.fakes.claude import FakeClaude, RecordedRequest
from bot.fakes.slack import Call, FakeSlack

WRITE_METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.startStream",
    "chat.appendStream",
    "chat.stopStream",
    "chat.delete",
)
STATUS_METHOD = "assistant.threads.setStatus"
STREAM_METHODS = ("chat.startStream", "chat.appendStream", "chat.stopStream")
# Either of these, or a status, is the first sign of life a person sees in the thread.
THINKING_METHODS = (STATUS_METHOD, "chat.postMessage", "chat.startStream")
QUESTION = re.compile(r"question (\d+)\b")
WARM_UP_CHANNEL = "CWARM"
ACK_CHANNEL = "CACK"

Until = Literal["done", "first_text"]
SETTLE_SECONDS = 61.0
SETTLE_FROM = 40
"""A burst this large can reach a per-minute limit (Slack's, or the bot's own budget a little
under it), so the warm-up's calls must first leave the 60-second windows: otherwise one reply
of the burst waits a minute because of the harness, not the bot."""
IDLE_SECONDS = 3.0
"""How long a started bot sits untouched before its idle memory is read."""
UNPACED_BOT_ENV = {"SLACK_RATE_LIMITS": "{}"}
"""Tells the bot to keep no per-method write budget (its setting; unknown settings are ignored)."""


@dataclass(frozen=True)
class Config:
    tokens: int = 1000
    tps: float = 80.0
    ttft: float = 0.4
    slack_latency: float = 0.05
    rate_limits: bool = True
    timeout: float = 240.0
    """Seconds to wait, after Claude's streams would have ended, for the bot to finish."""
    bot_env: dict[str, str] = field(default_factory=dict)
    warm_up_tokens: int = 20
    settle: float | None = None
    """Seconds to wait after the warm-up; None: SETTLE_SECONDS for bursts of SETTLE_FROM or more."""
    keep_logs: Path | None = None

    @property
    def stream_seconds(self) -> float:
        return self.ttft + self.tokens / self.tps


@dataclass
class Workspace:
    slack: FakeSlack
    claude: FakeClaude
    bot: BotProcess
    db_path: Path

    def ledger_rows(self) -> int:
        """Rows in the bot's usage ledger: a turn writes its row last, so this counts finished turns."""
        try:
            with contextlib.closing(sqlite3.connect(self.db_path, timeout=0.2)) as conn:
                return int(conn.execute("SELECT count(*) FROM usage_records").fetchone()[0])
        except sqlite3.Error:
            return 0


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextlib.asynccontextmanager
async def workspace(
    config: Config,
    mode: str,
    *,
    users: int,
    channels: Iterable[str],
    rate_limits: bool,
    settle: float = 0.0,
    before_warm_up: Callable[[BotProcess], Awaitable[None]] | None = None,
) -> AsyncIterator[Workspace]:
    """Fresh fakes (one workspace), a bot process pointed at them, and a finished warm-up turn.

    The database is brought to the newest schema first (`bot db upgrade`), as deploys do, so the
    bot starts as it would in production. The warm-up pays the bot's one-time costs (auth.test,
    first SQL statements, lazy imports, connection set-up) before anything is measured. The fake
    enforces rate limits only from after it, so its calls don't use up the measured replies'
    per-minute allowance (the bot's own pacing, if it keeps any, still remembers them, as it
    would in production). `before_warm_up` sees the started bot before anyone has talked to it.
    """
    slack = FakeSlack(latency=config.slack_latency)
    claude = FakeClaude(ttft=config.ttft, tokens_per_second=config.tps)
    await slack.start()
    await claude.start()
    for i in range(1, users + 1):
        slack.add_user(f"U{i}", f"user{i}", display_name=f"User {i}")
    for channel in (WARM_UP_CHANNEL, *channels):
        slack.add_channel(channel, channel.lower())
    tmp = Path(tempfile.mkdtemp(prefix="bot-bench-"))
    db_path = tmp / "bot.db"
    settings = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "ANTHROPIC_API_KEY": claude.api_key,
        "ANTHROPIC_BASE_URL": claude.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db_path}",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "METRICS_PORT": "0",
        "SLACK_STREAM_MODE": mode,
        "LOG_LEVEL": "WARNING",
        **config.bot_env,
    }
    bot = BotProcess(settings, tmp)
    try:
        await bot.upgrade_database()
        await bot.start()
        if before_warm_up is not None:
            await before_warm_up(bot)
        env = Workspace(slack, claude, bot, db_path)
        claude.script(answer_text(config.warm_up_tokens))
        await slack.user_says(bot.events_url, WARM_UP_CHANNEL, "U1", f"<@{slack.bot_user_id}> warm-up")
        deadline = time.monotonic() + config.stream_seconds + 30
        while env.ledger_rows() < 1:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the warm-up turn did not finish:\n{bot.log_tail()}")
            await asyncio.sleep(0.05)
        await asyncio.sleep(max(0.2, settle))
        if rate_limits:
            slack.enforce_published_limits()
        yield env
    finally:
        await bot.stop()
        if config.keep_logs is not None:
            config.keep_logs.mkdir(parents=True, exist_ok=True)
            name = f"bot-{mode}-{time.strftime('%H%M%S')}-{settings['PORT']}.log"
            with contextlib.suppress(OSError):
                shutil.copy(bot.log_path, config.keep_logs / name)
        await claude.stop()
        await slack.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------- replies


def _call_channel(call: Call) -> str | None:
    value = call.params.get("channel") or call.params.get("channel_id")
    return str(value) if value else None


def _is_notice(call: Call) -> bool:
    metadata = FakeSlack.param(call, "metadata")
    return isinstance(metadata, dict) and metadata.get("event_type") == NOTICE_EVENT_TYPE


def _call_text(call: Call) -> str:
    """The answer text a write call shows: the whole message so far, or what a stream call adds."""
    if call.method in STREAM_METHODS:
        chunks = FakeSlack.param(call, "chunks") or []
        parts = [
            c.get("text", "") for c in chunks if isinstance(c, dict) and c.get("type") == "markdown_text"
        ]
        return _as_shown(str(call.params.get("markdown_text") or "") + "".join(parts))
    blocks = FakeSlack.param(call, "blocks")
    message = {"text": call.params.get("text"), "blocks": blocks if isinstance(blocks, list) else None}
    markdown = call.params.get("markdown_text")
    return _as_shown(str(markdown)) if markdown else _visible_text(message)


def _shows_answer(call: Call, expected: str | None) -> bool:
    """Placeholders, Stop buttons and notices carry text that is not part of Claude's answer."""
    text = _call_text(call)
    return bool(expected and text.strip() and text in expected)


def _visible_text(message: dict[str, Any]) -> str:
    """What Slack shows: the markdown blocks when there are any (then `text` is only the
    notification fallback), else the text, which is also where streamed text accumulates."""
    blocks = [b for b in message.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "markdown"]
    if blocks:
        return _as_shown("".join(str(b.get("text") or "") for b in blocks))
    return _as_shown(str(message.get("text") or ""))


def _as_shown(text: str) -> str:
    """The bot escapes `&`, `<` and `>` in Claude's text, as Slack asks; Slack shows them as the
    characters, and so does this comparison."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _ok(call: Call) -> bool:
    return call.status == 200 and bool(call.ok)


def _first_difference(expected: str, actual: str) -> dict[str, Any]:
    index = next(
        (i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b),
        min(len(expected), len(actual)),
    )
    return {
        "index": index,
        "expected_len": len(expected),
        "actual_len": len(actual),
        "expected": expected[max(0, index - 30) : index + 30],
        "actual": actual[max(0, index - 30) : index + 30],
    }


def _requests_by_question(requests: Iterable[RecordedRequest]) -> dict[int, RecordedRequest]:
    found: dict[int, RecordedRequest] = {}
    for request in requests:
        messages = request.body.get("messages") or []
        if request.path != "/v1/messages" or not messages:
            continue
        match = QUESTION.search(json.dumps(messages[-1]))
        if match:
            found.setdefault(int(match.group(1)), request)
    return found


def _max_in_flight(requests: Sequence[RecordedRequest]) -> int:
    """The most Claude streams open at one moment (request arrival to last delta)."""
    edges: list[tuple[float, int]] = []
    for request in requests:
        if request.last_delta is not None:
            edges += [(request.time, 1), (request.last_delta, -1)]
    running = peak = 0
    for _, step in sorted(edges):
        running += step
        peak = max(peak, running)
    return peak


def _ms(later: float | None, earlier: float | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier) * 1000, 2)


def analyse_replies(
    slack: FakeSlack,
    calls: Sequence[Call],
    requests: Sequence[RecordedRequest],
    parents: Sequence[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Per reply: the three latencies, its Slack calls, and whether Slack ended up with Claude's text.

    A Slack call counts as visible when the fake answered it (arrival + the configured latency):
    the bot cannot know any sooner that its write landed.
    """
    by_channel: dict[str, list[Call]] = defaultdict(list)
    for call in calls:
        channel = _call_channel(call)
        if channel is not None:
            by_channel[channel].append(call)
    questions = _requests_by_question(requests)
    sent: dict[str, float] = {}
    acks: dict[str, float] = {}
    for delivery in slack.deliveries:
        event = delivery.body.get("event") or {}
        if delivery.kind == "event" and event.get("type") == "app_mention":
            sent.setdefault(str(event.get("channel")), delivery.time)
            acks.setdefault(str(event.get("channel")), delivery.elapsed)
    latency = slack.latency
    replies = []
    for index, parent in enumerate(parents, start=1):
        channel = f"C{index}"
        request = questions.get(index)
        expected = request.text if request is not None else None
        mine = by_channel.get(channel, [])
        writes = [c for c in mine if c.method in WRITE_METHODS and not _is_notice(c)]
        notices = [c for c in mine if c.method in WRITE_METHODS and _is_notice(c)]
        statuses = [c for c in mine if c.method == STATUS_METHOD]
        thinking = [
            c.time
            for c in mine
            if _ok(c)
            and c.method in THINKING_METHODS
            and (c.method != STATUS_METHOD or c.params.get("status"))
        ]
        answer_calls = [c for c in writes if _ok(c) and _shows_answer(c, expected)]
        with_text = [c.time for c in answer_calls]
        # The last write that shows answer text or closes the stream, not the clean-up of helper
        # messages (a Stop button, say) that may follow it.
        landed = with_text + [c.time for c in writes if _ok(c) and c.method == "chat.stopStream"]
        shown = [
            m
            for m in slack.bot_messages(channel, str(parent["ts"]))
            if (m.get("metadata") or {}).get("event_type") != NOTICE_EVENT_TYPE
        ]
        actual = "".join(_visible_text(m) for m in shown)
        text_ok = expected is not None and actual == expected
        first_delta = request.first_delta if request else None
        last_delta = request.last_delta if request else None
        replies.append(
            {
                "index": index,
                "channel": channel,
                "thread_ts": parent["ts"],
                "ack_ms": _ms(acks.get(channel), 0.0),
                "thinking_ms": _ms(min(thinking) + latency if thinking else None, sent.get(channel)),
                "first_text_ms": _ms(min(with_text) + latency if with_text else None, first_delta),
                "final_text_ms": _ms(max(landed) + latency if landed else None, last_delta),
                "writes": len(writes),
                "writes_ok": sum(1 for c in writes if _ok(c)),
                "writes_by_method": dict(Counter(c.method for c in writes)),
                "notices": len(notices),
                "status_calls": len(statuses),
                "rate_limited": sum(1 for c in mine if c.status == 429),
                "claude_chars": len(expected) if expected is not None else None,
                "claude_deltas": request.deltas_sent if request else 0,
                "slack_chars": len(actual),
                "slack_messages": len(shown),
                "text_ok": text_ok,
                "difference": None if text_ok or expected is None else _first_difference(expected, actual),
            }
        )
    return replies


def _observed_mode(calls: Sequence[Call]) -> str:
    methods = {c.method for c in calls}
    if methods & set(STREAM_METHODS):
        return "native+edit" if "chat.update" in methods else "native"
    if methods & {"chat.postMessage", "chat.update"}:
        return "edit"
    return "none"


async def run_replies(
    config: Config,
    mode: str,
    concurrency: int,
    *,
    rate_limits: bool | None = None,
    until: Until = "done",
    arrival_interval: float = 0.0,
) -> dict[str, Any]:
    """`concurrency` mentions in distinct channels of one workspace, delivered at the same moment
    (or, with `arrival_interval`, one every that many seconds).

    `until="done"` waits for every turn's ledger row (so the last Slack write is in);
    `"first_text"` stops once every reply shows text and Claude's streams have ended, which is
    all the capacity search needs and spares it the minutes rate-limited edits can take.
    """
    limited = config.rate_limits if rate_limits is None else rate_limits
    channels = [f"C{i}" for i in range(1, concurrency + 1)]
    answer = answer_text(config.tokens)
    unpaced = not limited and config.bot_env.get("SLACK_RATE_LIMITS") == "{}"
    settle = config.settle
    if settle is None:
        settle = SETTLE_SECONDS if concurrency >= SETTLE_FROM and not unpaced else 0.0
    async with workspace(
        config, mode, users=concurrency, channels=channels, rate_limits=limited, settle=settle
    ) as env:
        slack, claude, bot = env.slack, env.claude, env.bot
        marks = len(slack.calls), len(claude.requests), slack.rate_limited
        limited_before = Counter(slack.rate_limited_by_method)
        claude.script(*([answer] * concurrency))
        cpu_before, memory_before, harness_before = bot.cpu_seconds(), bot.memory_kb(), _own_cpu()
        sampler = RssSampler(bot.pid)
        sampler.start()
        started = time.monotonic()

        async def mention(i: int, channel: str) -> dict[str, Any]:
            await asyncio.sleep(max(0.0, started + (i - 1) * arrival_interval - time.monotonic()))
            return await slack.user_says(
                bot.events_url, channel, f"U{i}", f"<@{slack.bot_user_id}> question {i}"
            )

        parents = await asyncio.gather(*(mention(i, c) for i, c in enumerate(channels, start=1)))
        deadline = started + (concurrency - 1) * arrival_interval + config.stream_seconds + config.timeout
        ended_by = "timeout"
        while time.monotonic() < deadline:
            if until == "done" and env.ledger_rows() >= concurrency + 1:
                ended_by = "ledger"
                break
            if until == "first_text" and _all_shown(env, marks, channels, answer):
                ended_by = "first_text"
                break
            await asyncio.sleep(0.1)
        finished = time.monotonic()
        cpu_after, harness_after = bot.cpu_seconds(), _own_cpu()
        peak_kb = await sampler.stop()
        memory_after = bot.memory_kb()
        calls = slack.calls[marks[0] :]
        requests = claude.requests[marks[1] :]
        replies = analyse_replies(slack, calls, requests, parents)
        log = bot.log_summary()
        finished_turns = env.ledger_rows() - 1
        limited_by_method = Counter(slack.rate_limited_by_method)
        limited_by_method.subtract(limited_before)
    cpu = cpu_after - cpu_before
    writes = sum(r["writes"] for r in replies)
    mismatched = [r for r in replies if not r["text_ok"]]
    return {
        "kind": "replies",
        "started": started,
        "arrival_interval": arrival_interval,
        "cpu_timeline": sampler.cpu if arrival_interval else None,
        "mode_asked": mode,
        "mode_observed": _observed_mode(calls),
        "concurrency": concurrency,
        "rate_limits": "tiers" if limited else "off",
        "bot_pacing": not unpaced,
        "settle_seconds": settle,
        "ended_by": ended_by,
        "turns_finished": finished_turns,
        "wall_seconds": round(finished - started, 3),
        "max_streams_in_flight": _max_in_flight(requests),
        "bot_cpu_seconds": round(cpu, 3),
        "bot_cpu_per_reply": round(cpu / concurrency, 4),
        "bot_rss_before_kb": memory_before.get("VmRSS"),
        "bot_rss_peak_kb": peak_kb,
        "bot_hwm_kb": memory_after.get("VmHWM"),
        "rss_samples": sampler.samples,
        "harness_cpu_seconds": round(harness_after - harness_before, 3),
        "latency_ms": {
            name: summary(r[f"{name}_ms"] for r in replies)
            for name in ("thinking", "first_text", "final_text")
        },
        "ack_ms": summary(r["ack_ms"] for r in replies),
        "writes_per_reply": round(writes / concurrency, 2),
        "status_calls_per_reply": round(sum(r["status_calls"] for r in replies) / concurrency, 2),
        "calls_by_method": dict(Counter(c.method for c in calls)),
        "rate_limited": slack.rate_limited - marks[2],
        "rate_limited_by_method": {k: v for k, v in limited_by_method.items() if v},
        "text_mismatches": len(mismatched),
        "first_mismatch": mismatched[0]["difference"] if mismatched else None,
        "bot_log": log,
        "replies": replies,
    }


def _all_shown(env: Workspace, marks: tuple[int, int, int], channels: Sequence[str], answer: str) -> bool:
    """Every Claude stream has ended and every channel has had a write showing answer text."""
    requests = env.claude.requests[marks[1] :]
    expected_deltas = len(answer) // env.claude.chars_per_token
    streamed = [r for r in requests if r.path == "/v1/messages"]
    if len(streamed) < len(channels) or any(r.deltas_sent < expected_deltas for r in streamed):
        return False
    shown = {
        _call_channel(c)
        for c in env.slack.calls[marks[0] :]
        if c.method in WRITE_METHODS and _ok(c) and _shows_answer(c, answer)
    }
    return shown.issuperset(channels)


# ---------------------------------------------------------------------------------------- idle


async def run_idle(config: Config, mode: str, *, wait: float = IDLE_SECONDS) -> dict[str, Any]:
    """What a started bot holds before anyone talks to it (VmRSS `wait` seconds after /healthz
    first answered), and after its first reply (the warm-up turn), when what it imports on first
    need is in."""
    idle: dict[str, int] = {}

    async def untouched(bot: BotProcess) -> None:
        await asyncio.sleep(wait)
        idle.update(bot.memory_kb())

    async with workspace(
        config, mode, users=1, channels=(), rate_limits=False, before_warm_up=untouched
    ) as env:
        replied = env.bot.memory_kb()
    return {
        "kind": "idle",
        "mode_asked": mode,
        "wait_seconds": wait,
        "idle_rss_kb": idle["VmRSS"],
        "after_first_reply_rss_kb": replied["VmRSS"],
        "hwm_kb": replied["VmHWM"],
    }


# ---------------------------------------------------------------------------------------- baseline


async def run_baseline(config: Config, concurrency: int) -> dict[str, Any]:
    """`concurrency` identical streams read with the SDK's default path, in a separate process."""
    answer = answer_text(config.tokens)
    claude = FakeClaude(ttft=config.ttft, tokens_per_second=config.tps)
    await claude.start()
    claude.script(answer_text(config.warm_up_tokens))
    reader = BaselineProcess(
        ["--base-url", claude.base_url, "--api-key", claude.api_key, "--streams", str(concurrency)]
    )
    try:
        await reader.start()
        claude.script(*([answer] * concurrency))
        before = cpu_seconds(reader.pid)
        sampler = RssSampler(reader.pid)
        sampler.start()
        result = await reader.run()
        cpu = cpu_seconds(reader.pid) - before
        peak_kb = await sampler.stop()
        hwm_kb = memory_kb(reader.pid).get("VmHWM")
    finally:
        await reader.stop()
        await claude.stop()
    return {
        "kind": "baseline",
        "concurrency": concurrency,
        "client": "AsyncAnthropic default transport, messages.stream(), text_stream",
        "cpu_seconds": round(cpu, 3),
        "cpu_per_reply": round(cpu / concurrency, 4),
        "wall_seconds": round(float(result["elapsed"]), 3),
        "rss_peak_kb": peak_kb,
        "hwm_kb": hwm_kb,
        "complete_streams": sum(1 for chars in result["chars"] if chars == len(answer)),
    }


# ---------------------------------------------------------------------------------------- ack latency


def _message_event(message: dict[str, Any], channel: str) -> dict[str, Any]:
    """The `message` event Slack sends for a person's message (what FakeSlack.user_says would send)."""
    keys = ("user", "text", "ts", "team", "client_msg_id", "thread_ts", "parent_user_id")
    event = {"type": "message", **{k: message[k] for k in keys if k in message}}
    return event | {"channel": channel, "event_ts": message["ts"], "channel_type": "channel"}


async def run_ack(config: Config, mode: str, *, rate: float, seconds: float, load: int) -> dict[str, Any]:
    """Signed `message` events at `rate` per second, half top-level chatter, half replies in a thread
    between people (the bot looks that thread up and ignores it); `load` replies stream meanwhile."""
    channels = [f"C{i}" for i in range(1, load + 1)]
    async with workspace(
        config, mode, users=max(2, load), channels=[ACK_CHANNEL, *channels], rate_limits=config.rate_limits
    ) as env:
        slack, bot = env.slack, env.bot
        loop = asyncio.get_running_loop()
        background: list[asyncio.Task[Any]] = []
        if load:
            env.claude.script(*([answer_text(config.tokens)] * load))
            background = [
                asyncio.create_task(
                    slack.user_says(bot.events_url, channel, f"U{i}", f"<@{slack.bot_user_id}> question {i}")
                )
                for i, channel in enumerate(channels, start=1)
            ]
            await asyncio.sleep(config.ttft + 1.0)
        parent = slack.post_message(ACK_CHANNEL, "U1", "a thread between people, not for the bot")
        count = max(1, round(rate * seconds))
        cpu_before = bot.cpu_seconds()
        start = loop.time() + 0.05

        async def one(i: int) -> tuple[float, int, float]:
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            late = loop.time() - due
            message = slack.post_message(
                ACK_CHANNEL, f"U{1 + i % 2}", f"chatter {i}", thread_ts=parent["ts"] if i % 2 else None
            )
            sent = time.monotonic()
            status, _ = await slack.send_event(bot.events_url, _message_event(message, ACK_CHANNEL))
            return (time.monotonic() - sent) * 1000, status, late * 1000

        results = await asyncio.gather(*(one(i) for i in range(count)))
        elapsed = loop.time() - start
        cpu = bot.cpu_seconds() - cpu_before
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
    latencies = [round(r[0], 2) for r in results]
    return {
        "kind": "ack",
        "mode_asked": mode,
        "events": count,
        "rate_asked": rate,
        "rate_sent": round(count / elapsed, 1) if elapsed > 0 else None,
        "replies_in_flight": load,
        "latency_ms": summary(latencies, qs=(50, 95, 99)),
        "non_200": sum(1 for r in results if r[1] != 200),
        "send_lateness_ms_p99": summary([r[2] for r in results], qs=(99,))["p99"],
        "bot_cpu_seconds": round(cpu, 3),
        "bot_cpu_ms_per_event": round(cpu * 1000 / count, 3),
        "latencies_ms": latencies,
    }


# ---------------------------------------------------------------------------------------- capacity


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def fmt_share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def capacity_steps(start: int, maximum: int) -> list[int]:
    """10, 20, 30, 40, then +20 to 100, then +40: finer where the answer is expected."""
    steps, n = [], start
    while n <= maximum:
        steps.append(n)
        n += 10 if n < 40 else 20 if n < 100 else 40
    return steps


async def run_capacity(
    config: Config, mode: str, steps: Sequence[int], *, paced: bool = False, limit_ms: float = 1000.0
) -> dict[str, Any]:
    """Raise concurrency until first-visible (or thinking) p50 passes `limit_ms`; the capacity is
    the last step that passed.

    A step of N is a steady state, not a burst: 2N replies arrive evenly over two stream
    lengths, and the verdict is on the second half's replies, each of which starts while
    about N others are streaming. (When all N start at the same instant, every first token
    arrives before the streaming load has built up, and the figure says nothing about it.)

    Unpaced (the default) the fake enforces no rate limits and the bot is told to keep no write
    budget of its own (`SLACK_RATE_LIMITS={}`), so every step's replies really stream at once
    and the figure is what one process can carry. Paced, Slack's per-workspace tiers spread a
    large burst over minutes: the replies are then not simultaneous, and "first token -> first
    text" stays low while people wait for their answer to start.
    """
    if not paced:
        config = replace(config, rate_limits=False, bot_env={**UNPACED_BOT_ENV, **config.bot_env})
    results: list[dict[str, Any]] = []
    capacity = 0
    for concurrency in steps:
        # 2N replies, one every stream/N seconds: from one stream's length on, N are in flight
        # all the time, and the second half's replies each start beside N - 1 running ones.
        interval = config.stream_seconds / concurrency
        run = await run_replies(config, mode, 2 * concurrency, until="first_text", arrival_interval=interval)
        steady = [r for r in run["replies"] if r["index"] > concurrency]
        first = summary(r["first_text_ms"] for r in steady)
        thinking = summary(r["thinking_ms"] for r in steady)
        window = run["started"] + config.stream_seconds, run["started"] + 2 * config.stream_seconds
        share = cpu_share(run.pop("cpu_timeline") or [], *window)
        p50, think_p50 = first["p50"], thinking["p50"]
        first_ok = p50 is not None and p50 <= limit_ms
        # A saturated bot queues new events before it even asks Claude, which "first token ->
        # first text" cannot see: the thinking status, the first thing anyone sees, can.
        thinking_ok = think_p50 is not None and think_p50 <= limit_ms
        passed = first_ok and thinking_ok
        # A search takes many minutes: say where it stands.
        print(
            f"  capacity {mode} x{concurrency}: first p50 {fmt_ms(p50)} ms,"
            f" think p50 {fmt_ms(think_p50)} ms, bot CPU {fmt_share(share)}",
            file=sys.stderr,
            flush=True,
        )
        results.append(
            {
                "concurrency": concurrency,
                "replies": 2 * concurrency,
                "arrival_interval": round(interval, 4),
                "first_text_ms": first,
                "thinking_ms": thinking,
                "final_text_ms": summary(r["final_text_ms"] for r in steady),
                "steady_bot_cpu_share": None if share is None else round(share, 3),
                "rate_limited": run["rate_limited"],
                "rate_limited_by_method": run["rate_limited_by_method"],
                "bot_cpu_seconds": run["bot_cpu_seconds"],
                "wall_seconds": run["wall_seconds"],
                "harness_cpu_seconds": run["harness_cpu_seconds"],
                "ended_by": run["ended_by"],
                "max_streams_in_flight": run["max_streams_in_flight"],
                "first_text_ok": first_ok,
                "thinking_ok": thinking_ok,
                "passed": passed,
            }
        )
        if not passed:
            break
        capacity = concurrency
    return {
        "kind": "capacity",
        "mode_asked": mode,
        "limit_ms": limit_ms,
        "paced": paced,
        "bot_env": config.bot_env,
        "capacity": capacity,
        "criteria": "first-text p50 and thinking p50 both <= limit_ms",
        "capacity_first_text_only": max((r["concurrency"] for r in results if r["first_text_ok"]), default=0),
        "first_text_only_bounded": any(not r["first_text_ok"] for r in results),
        "bounded": bool(results) and not results[-1]["passed"],
        "steps": results,
    }

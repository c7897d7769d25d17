"""Replicas acting as one app: several `bot serve` processes on one PostgreSQL.

Three measures, each in fresh fakes, a fresh schema and fresh processes:

- **burst**: N mentions at once over C channels, delivered round robin to the replicas, Slack's
  published limits enforced (they are per workspace, whatever the number of replicas), after
  one answer alone as the yardstick;
- **stop**: an answer streaming on one replica, its Stop pressed on another; from the click to
  Claude's last delta;
- **outage**: a mention every `interval` seconds for `seconds`, with the replicas' database
  connections cut (a TCP proxy drops them and refuses new ones) for `cut` seconds in the middle;
  every mention must get exactly one answer.

PostgreSQL comes from `BOT_BENCH_POSTGRES_URL` (default: the local server's `test` database);
each run makes a schema of its own and drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.answer import answer_text
from benchmarks.burst import mention, thread_figures
from benchmarks.procs import BotProcess, free_port
from benchmarks.scenarios import Config, _ms, _requests_by_question
from benchmarks.stats import summary
from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.fakes.claude import FakeClaude
from bot.fakes.slack import FakeSlack
from bot.fakes.tcp_proxy import TcpProxy
from bot.store import Database
from bot.store.models import UsageRecord

POSTGRES = os.environ.get("BOT_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


@dataclass
class Replicas:
    slack: FakeSlack
    claude: FakeClaude
    bots: list[BotProcess]
    db: Database
    proxy: TcpProxy

    @property
    def events(self) -> list[str]:
        return [bot.events_url for bot in self.bots]

    async def ledger_rows(self) -> int:
        with contextlib.suppress(Exception):
            async with self.db.session() as session:
                return int(
                    (await session.execute(select(func.count()).select_from(UsageRecord))).scalar_one()
                )
        return 0

    async def until_rows(self, rows: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.ledger_rows() >= rows:
                return True
            await asyncio.sleep(0.1)
        return False


@contextlib.asynccontextmanager
async def replicas(config: Config, count: int, *, users: int, channels: list[str]) -> AsyncIterator[Replicas]:
    """Fresh fakes, a fresh schema reached through a TCP proxy, and `count` healthy bot processes."""
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_async_engine(POSTGRES)
    async with admin.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    slack = FakeSlack(latency=config.slack_latency)
    claude = FakeClaude(ttft=config.ttft, tokens_per_second=config.tps)
    proxy = TcpProxy(*_host_port(POSTGRES))
    await slack.start()
    await claude.start()
    await proxy.start()
    for i in range(1, users + 1):
        slack.add_user(f"U{i}", f"user{i}", display_name=f"User {i}")
    for channel in channels:
        slack.add_channel(channel, channel.lower())
    url = make_url(POSTGRES).set(host="127.0.0.1", port=proxy.port).update_query_dict({"search_path": schema})
    database_url = url.render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="bot-replicas-"))
    bots = []
    for n in range(count):
        workdir = tmp / f"replica{n}"
        workdir.mkdir()
        settings = {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "ANTHROPIC_API_KEY": claude.api_key,
            "ANTHROPIC_BASE_URL": claude.base_url,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(free_port()),
            "METRICS_PORT": "0",
            "LOG_LEVEL": "WARNING",
            **config.bot_env,
        }
        bots.append(BotProcess(settings, workdir))
    db = Database(
        make_url(POSTGRES).update_query_dict({"search_path": schema}).render_as_string(hide_password=False)
    )
    try:
        await bots[0].start()  # the first migrates the schema; the others find it done
        await asyncio.gather(*(bot.start() for bot in bots[1:]))
        yield Replicas(slack, claude, bots, db, proxy)
    finally:
        await asyncio.gather(*(bot.stop() for bot in bots), return_exceptions=True)
        await db.close()
        await proxy.stop()
        await claude.stop()
        await slack.stop()
        async with admin.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def _host_port(url: str) -> tuple[str, int]:
    parsed = make_url(url)
    return parsed.host or "127.0.0.1", parsed.port or 5432


async def run_replica_burst(config: Config, *, count: int, mentions: int, channels: int) -> dict[str, Any]:
    names = [f"C{i}" for i in range(1, channels + 1)]
    answer = answer_text(config.tokens)
    async with replicas(config, count, users=mentions, channels=[*names, "CALONE"]) as r:
        r.claude.script(*([answer] * (mentions + 1)))
        marks = len(r.slack.calls), r.slack.rate_limited
        alone = await mention(r.slack, r.events[0], "CALONE", "U1", 0)
        await r.until_rows(1, config.stream_seconds + 30)
        r.slack.enforce_published_limits()
        parents = await asyncio.gather(
            *(
                mention(r.slack, r.events[i % count], names[(i - 1) % channels], f"U{i}", i)
                for i in range(1, mentions + 1)
            )
        )
        finished = await r.until_rows(1 + mentions, config.stream_seconds + config.timeout)
        calls = r.slack.calls[marks[0] :]
        by_question = _requests_by_question(r.claude.requests)
        figures = [
            thread_figures(r.slack, calls, by_question.get(q), parent, answer)
            for q, parent in [(0, alone), *enumerate(parents, start=1)]
        ]
        rate_limited = r.slack.rate_limited - marks[1]
        limited = Counter(c.method for c in calls if c.status == 429)
    burst = figures[1:]
    return {
        "kind": "replica_burst",
        "replicas": count,
        "mentions": mentions,
        "channels": channels,
        "finished": finished,
        "complete": sum(1 for f in burst if f["text_ok"]),
        "rate_limited": rate_limited,
        "rate_limited_by_method": dict(limited),
        "alone_mention_to_final_ms": figures[0]["mention_to_final_ms"],
        "latency_ms": {
            name: summary(f[f"{name}_ms"] for f in burst)
            for name in ("thinking", "first_text", "final_text", "mention_to_final")
        },
        "ways": dict(Counter(f["way"] for f in burst)),
    }


async def run_replica_stop(config: Config, *, count: int = 2) -> dict[str, Any]:
    """The answer streams on replica 0; Stop is pressed through replica 1."""
    long_answer = answer_text(max(config.tokens, 1000))
    async with replicas(config, count, users=1, channels=["C1"]) as r:
        r.claude.tokens_per_second = min(config.tps, 40)
        r.claude.script(long_answer)
        parent = await mention(r.slack, r.events[0], "C1", "U1", 1)

        def stop_button() -> tuple[str, str] | None:
            for message in r.slack.thread("C1", str(parent["ts"])):
                for block in message.get("blocks") or []:
                    for element in block.get("elements", []):
                        if element.get("action_id") == "stop_reply":
                            return str(message["ts"]), str(element["value"])
            return None

        message_ts, value = await r.slack.wait_for(stop_button, timeout=30)
        await asyncio.sleep(1.0)
        clicked = time.monotonic()
        status, _ = await r.slack.block_action(
            r.events[1],
            user="U1",
            channel="C1",
            message_ts=message_ts,
            action_id="stop_reply",
            value=value,
            thread_ts=str(parent["ts"]),
        )
        await r.until_rows(1, 30)
        [request] = [q for q in r.claude.requests if q.path == "/v1/messages"]
    expected = len(long_answer) // r.claude.chars_per_token
    return {
        "kind": "replica_stop",
        "replicas": count,
        "click_status": status,
        "stream_ended_ms": _ms(request.last_delta, clicked),
        "deltas_sent": request.deltas_sent,
        "deltas_in_answer": expected,
        "stopped": request.deltas_sent < expected,
    }


async def run_replica_outage(
    config: Config, *, count: int = 2, seconds: float = 30.0, interval: float = 0.5, cut: float = 10.0
) -> dict[str, Any]:
    """Steady mentions, with the database cut off for `cut` seconds in the middle."""
    total = int(seconds / interval)
    answer = answer_text(min(config.tokens, 100))
    channels = [f"C{i}" for i in range(1, 11)]
    async with replicas(config, count, users=total, channels=channels) as r:
        r.claude.script(*([answer] * total))
        started = time.monotonic()
        cut_at, restore_at = started + (seconds - cut) / 2, started + (seconds + cut) / 2
        parents: list[dict[str, Any]] = []
        during: list[int] = []
        restored = restore_at
        for i in range(1, total + 1):
            await asyncio.sleep(max(0.0, started + (i - 1) * interval - time.monotonic()))
            now = time.monotonic()
            if r.proxy.cut_off and now >= restore_at:
                r.proxy.restore()
                restored = now
            elif not r.proxy.cut_off and cut_at <= now < restore_at:
                r.proxy.cut()
            if r.proxy.cut_off:
                during.append(i)
            parents.append(
                await mention(r.slack, r.events[i % count], channels[i % len(channels)], f"U{i}", i)
            )
        if r.proxy.cut_off:
            r.proxy.restore()
            restored = time.monotonic()
        finished = await r.until_rows(total, config.stream_seconds + config.timeout)
        answered_at: list[float | None] = []
        answers_per_thread = []
        for parent in parents:
            mine = [
                m
                for m in r.slack.bot_messages(str(parent["channel"]), str(parent["ts"]))
                if (m.get("metadata") or {}).get("event_type") != NOTICE_EVENT_TYPE
            ]
            answers_per_thread.append(len(mine))
        by_question = _requests_by_question(r.claude.requests)
        for i in during:
            request = by_question.get(i)
            answered_at.append(request.last_delta if request else None)
        logs = [bot.log_summary() for bot in r.bots]
    late = [(t - restored) * 1000 for t in answered_at if t is not None]
    return {
        "kind": "replica_outage",
        "replicas": count,
        "mentions": total,
        "cut_seconds": cut,
        "sent_during_cut": len(during),
        "finished": finished,
        "answered_once": sum(1 for n in answers_per_thread if n == 1),
        "answered_twice_or_more": sum(1 for n in answers_per_thread if n > 1),
        "unanswered": sum(1 for n in answers_per_thread if n == 0),
        "held_answered_after_restore_ms": summary(late),
        "warning_lines": sum(log["levels"]["WARNING"] for log in logs),
        "error_lines": sum(log["levels"]["ERROR"] for log in logs),
    }

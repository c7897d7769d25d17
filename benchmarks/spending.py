"""The monthly budget under a burst: many mentions at once against a small budget, and what the
month ends up spending (the ledger's figure) against the budget plus one answer's max_tokens."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from dataclasses import replace
from typing import Any

from benchmarks.answer import answer_text
from benchmarks.scenarios import Config, workspace
from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.fakes.slack import Call, FakeSlack

MAX_TOKENS = 4096
"""The bot's default CLAUDE_MAX_TOKENS, set explicitly so the goal below is what the bot used."""


def _ledger_tokens(db_path: Any) -> int:
    with contextlib.closing(sqlite3.connect(db_path, timeout=5)) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(input_tokens + output_tokens + cache_creation_input_tokens"
            " + cache_read_input_tokens), 0) FROM usage_records"
        ).fetchone()
        return int(row[0])


def _notice_kind(call: Call) -> str | None:
    metadata = FakeSlack.param(call, "metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != NOTICE_EVENT_TYPE:
        return None
    return str((metadata.get("event_payload") or {}).get("kind"))


async def run_budget(config: Config, mode: str, mentions: int, budget: int) -> dict[str, Any]:
    """`mentions` people mention the bot in as many channels at the same moment; the workspace's
    monthly budget is `budget` tokens (the warm-up turn's tokens count against it too). Ends when
    every mention has its answer's first write or a notice, and every Claude call its ledger row."""
    channels = [f"C{i}" for i in range(1, mentions + 1)]
    env = {"MONTHLY_TOKEN_BUDGET": str(budget), "CLAUDE_MAX_TOKENS": str(MAX_TOKENS), **config.bot_env}
    settings = replace(config, bot_env=env)
    async with workspace(
        settings, mode, users=mentions, channels=channels, rate_limits=config.rate_limits
    ) as w:
        slack, claude = w.slack, w.claude
        first_call, first_request = len(slack.calls), len(claude.requests)
        claude.script(*([answer_text(config.tokens)] * mentions))
        await asyncio.gather(
            *(
                slack.user_says(w.bot.events_url, channel, f"U{i}", f"<@{slack.bot_user_id}> question {i}")
                for i, channel in enumerate(channels, start=1)
            )
        )

        def posted(notice: str | None = None) -> set[str]:
            """Channels with a first write (of an answer, a placeholder or a notice), or with a
            notice of this kind."""
            return {
                str(c.params.get("channel"))
                for c in slack.calls[first_call:]
                if c.method in ("chat.postMessage", "chat.startStream")
                and c.status == 200
                and (notice is None or _notice_kind(c) == notice)
            } & set(channels)

        def claude_calls() -> int:
            return sum(1 for r in claude.requests[first_request:] if r.path == "/v1/messages")

        deadline = time.monotonic() + config.stream_seconds + config.timeout
        while time.monotonic() < deadline:
            if len(posted()) == mentions and w.ledger_rows() >= claude_calls() + 1:
                break
            await asyncio.sleep(0.1)
        return {
            "mode_asked": mode,
            "mentions": mentions,
            "budget": budget,
            "max_tokens": MAX_TOKENS,
            "claude_calls": claude_calls(),
            "heard_back": len(posted()),
            "refused": len(posted(notice="budget")),
            "spent": _ledger_tokens(w.db_path),
        }

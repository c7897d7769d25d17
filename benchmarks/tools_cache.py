"""Prompt caching with web tools on: the cache share of a 10-turn thread, tools on against off.

`python -m benchmarks.tools_cache [--turns 10]`

The bot runs in this process against the fakes (real Bolt, slack_sdk and anthropic over HTTP).
One thread of `--turns` questions is asked twice on fresh fakes and database: once with web search
on (every answer searches, reads a page and cites both) and once with it off (the same answer
text, no tools). The fake Claude keeps a prompt cache by prefix (tools, system, messages) as the
API does, with the API's 1,024-token minimum. Printed per run: the share of all input tokens read
from the cache, summed over the thread's ledger rows, and the server-tool requests counted.

Why tools barely move it: tool blocks and results are not replayed into later turns (only the
answer's text is), and the tool definitions are the same on every turn, so each turn's prefix
is the previous turn's plus the new messages.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.fakes.claude import FakeClaude, Reply
from bot.fakes.claude_tools import Fetch, Page, Say, Search
from bot.fakes.settings import claude_settings, slack_settings
from bot.fakes.slack import FakeSlack
from bot.process.config import Settings
from bot.runtime.server import running
from bot.store import feature_settings as features
from bot.store.models import UsageRecord

PAGE = Page(
    "https://docs.example.com/guide", "Example guide", "The guide explains the setting in detail. " * 20
)
ANSWER = (
    "Here is what the documentation says about that, in some detail, so the thread grows the way "
    "a real one does. "
) * 8


async def run_thread(turns: int, *, tools: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        async with FakeSlack() as slack, FakeClaude() as claude:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                **slack_settings(slack),
                **claude_settings(claude),
                database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}",
                host="127.0.0.1",
                port=0,
                metrics_port=0,
                slack_update_interval=0.05,
                claude_max_retries=0,
            )
            async with running(settings) as bot:
                db = bot.runtime.services.db
                if tools:
                    await features.choose(db, slack.team_id, "C1", "web", set_by="U1", enabled=True)
                for turn in range(turns):
                    steps = (Say(ANSWER),)
                    if tools:
                        query = f"question {turn}"
                        steps = (
                            Search(query, results=(PAGE,)),
                            Fetch(PAGE.url, page=PAGE),
                            Say(ANSWER, cites=(PAGE.url,)),
                        )
                    claude.script(Reply(steps=steps))
                    text = f"Question {turn}: how does the setting work in case {turn}?"
                    if turn == 0:
                        root = await slack.user_says(bot.events_url, "C1", "U1", f"<@UBOT> {text}")
                    else:
                        await slack.user_says(bot.events_url, "C1", "U1", text, thread_ts=root["ts"])
                    await _rows(db, turn + 1)
                rows = await _rows(db, turns)
    read = sum(r.cache_read_input_tokens for r in rows)
    total = sum(r.input_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens for r in rows)
    return {
        "tools": tools,
        "turns": turns,
        "input_tokens": total,
        "cache_read": read,
        "cache_share": read / total if total else 0.0,
        "searches": sum(r.web_search_requests for r in rows),
        "fetches": sum(r.web_fetch_requests for r in rows),
    }


async def _rows(db: Any, count: int, timeout: float = 30.0) -> list[UsageRecord]:
    async with asyncio.timeout(timeout):
        while True:
            async with db.session() as session:
                rows = list((await session.execute(select(UsageRecord).order_by(UsageRecord.id))).scalars())
            if len(rows) >= count:
                return rows
            await asyncio.sleep(0.05)


async def main(turns: int) -> None:
    for tools in (False, True):
        result = await run_thread(turns, tools=tools)
        print(
            f"tools {'on ' if tools else 'off'}: {result['turns']} turns, "
            f"{result['input_tokens']:,} input tokens, "
            f"{result['cache_read']:,} ({result['cache_share']:.1%}) read from the cache, "
            f"{result['searches']} searches, {result['fetches']} page reads"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(parser.parse_args().turns))

"""`bot` — serve, usage, db upgrade, sandbox."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Coroutine, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.process.config import ConfigError, load_settings
from bot.process.logs import configure
from bot.store import Database, DatabaseUnavailable
from bot.store.ledger import TeamUsage, usage_by_team
from bot.store.models import UsageRecord


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        # The sandbox's page or script is what its user watches; its server logs only when asked to.
        quiet = args.command == "sandbox" and "log_level" not in settings.model_fields_set
        configure("WARNING" if quiet else settings.log_level, settings.log_format, settings.library_log_level)
        if args.command in (None, "serve"):
            settings.check_for_serving()
            from bot.runtime.server import serve

            run_server(serve(settings))
        elif args.command == "usage":
            rows = asyncio.run(_usage(settings.database_url, args.since))
            print(json.dumps([_json_row(row) for row in rows], indent=2) if args.json else usage_table(rows))
        elif args.command == "db":
            revision = asyncio.run(_upgrade(settings.database_url))
            print(f"Database is up to date: revision {revision}.")
        elif args.command == "sandbox":
            from bot.runtime.sandbox.command import run_sandbox

            return run_sandbox(args, offline=args.offline or settings.anthropic_api_key is None)
    except (ConfigError, DatabaseUnavailable) as exc:
        print(f"bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def run_server(main: Coroutine[Any, Any, None]) -> None:
    """The server runs on uvloop: reading Claude's streams and Slack's answers is mostly one
    event-loop turn per network read, and uvloop's turns cost less CPU than asyncio's. Windows
    has no uvloop (pyproject installs it elsewhere), so there the standard loop runs it."""
    if sys.platform == "win32":
        asyncio.run(main)
        return
    import uvloop

    uvloop.run(main)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot", description="Claude in Slack threads.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)")
    usage = sub.add_parser("usage", help="tokens used per workspace, from the ledger")
    usage.add_argument("--json", action="store_true", help="print JSON instead of a table")
    usage.add_argument("--since", type=_date, help="only usage on or after this day (YYYY-MM-DD, UTC)")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="bring the schema up to date")
    sandbox = sub.add_parser(
        "sandbox", help="try the bot in a local web page, against an embedded Slack workspace"
    )
    sandbox.add_argument("--port", type=int, default=0, help="the page's port (default: a free one)")
    sandbox.add_argument("--no-browser", action="store_true", help="print the page's URL, don't open it")
    sandbox.add_argument(
        "--script", type=Path, help="replay a conversation (a YAML or JSON file), print it and exit"
    )
    sandbox.add_argument(
        "--offline", action="store_true", help="the offline stand-in model even when ANTHROPIC_API_KEY is set"
    )
    sandbox.add_argument(
        "--speed", type=float, default=40.0, help="the offline model's tokens per second (default 40)"
    )
    return parser


def _date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-01-31") from None


async def _usage(url: str, since: datetime | None) -> list[TeamUsage]:
    """Read-only: a report must not migrate a production database behind the deploy's back, and
    a database without a ledger simply has no usage yet."""
    db = Database(url)
    try:
        if not await db.has_table(UsageRecord.__tablename__):
            return []
        return await usage_by_team(db, since=since)
    finally:
        await db.close()


async def _upgrade(url: str) -> str | None:
    db = Database(url)
    try:
        return await db.upgrade()
    finally:
        await db.close()


def _json_row(row: TeamUsage) -> dict[str, object]:
    return asdict(row)


def usage_table(rows: Sequence[TeamUsage]) -> str:
    if not rows:
        return "No usage recorded yet."
    headers = (
        "workspace",
        "requests",
        "input",
        "output",
        "cache write",
        "cache read",
        "total",
        "thinking",
        "searches",
        "fetches",
    )
    body = [
        (
            row.team_id,
            *(
                f"{n:,}"
                for n in (
                    row.requests,
                    row.input_tokens,
                    row.output_tokens,
                    row.cache_creation_input_tokens,
                    row.cache_read_input_tokens,
                    row.total_tokens,
                    row.thinking_tokens,
                    row.web_search_requests,
                    row.web_fetch_requests,
                )
            ),
        )
        for row in rows
    ]
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return "\n".join(lines)

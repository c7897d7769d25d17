"""`python -m benchmarks`: choose the runs, run them, print the tables, write the JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.burst import run_burst
from benchmarks.replicas import run_replica_burst, run_replica_outage, run_replica_stop
from benchmarks.scenarios import (
    UNPACED_BOT_ENV,
    Config,
    capacity_steps,
    run_ack,
    run_baseline,
    run_capacity,
    run_idle,
    run_replies,
)
from benchmarks.spending import run_budget

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "latest.json"
SECTIONS = ("replies", "ack", "capacity", "rss", "idle", "burst", "budget", "replicas")
# What --quick changes, so a smoke run finishes in well under a minute.
QUICK = {
    "tokens": 100,
    "concurrency": "1,5",
    "ack_seconds": 2.0,
    "rss_replies": 20,
    "capacity_max": 20,
    "timeout": 60.0,
    "burst_mentions": 10,
}
FULL = {
    "tokens": 1000,
    "concurrency": "1,10,50",
    "ack_seconds": 5.0,
    "rss_replies": 100,
    "capacity_max": 200,
    "timeout": 240.0,
    "burst_mentions": 80,
}


def _csv_ints(value: str) -> list[int]:
    try:
        numbers = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a comma-separated list of numbers") from None
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError("concurrencies must be positive")
    return numbers


def _env_pair(value: str) -> tuple[str, str]:
    name, sep, setting = value.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{value!r} is not KEY=VALUE")
    return name, setting


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark the bot (as its own process) against the fake Slack and fake Claude.",
        epilog="Without a run chosen (--replies, --ack, --capacity, --rss, --idle, --burst, --budget,"
        " --replicas, --all): --replies, --ack, --idle, --burst.",
    )
    p.add_argument("--modes", default="auto,edit,native", help="stream modes to run (SLACK_STREAM_MODE)")
    p.add_argument("--concurrency", help="simultaneous replies per scenario (default 1,10,50)")
    p.add_argument("--tokens", type=int, help="tokens per answer (default 1000)")
    p.add_argument("--tps", type=float, default=80.0, help="Claude tokens per second (default 80)")
    p.add_argument("--ttft", type=float, default=0.4, help="Claude time to first token, s (default 0.4)")
    p.add_argument("--slack-latency", type=float, default=0.05, help="Slack Web API round trip, s")
    p.add_argument(
        "--rate-limits",
        choices=("tiers", "off"),
        default="tiers",
        help="enforce Slack's published per-method tiers in the fake (default) or not",
    )
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write figures ({DEFAULT_JSON})")
    p.add_argument("--quick", action="store_true", help="smoke run: 100 tokens, 1 and 5 replies")
    p.add_argument("--replies", action="store_true", help="modes x concurrencies, plus the SDK baseline")
    p.add_argument("--ack", action="store_true", help="HTTP ack latency at --ack-rate events/s")
    p.add_argument("--capacity", action="store_true", help="search the capacity figure")
    p.add_argument("--rss", action="store_true", help="peak RSS with --rss-replies replies in flight")
    p.add_argument("--idle", action="store_true", help="RSS of a started bot nobody has talked to yet")
    p.add_argument(
        "--burst", action="store_true", help="a busy workspace: many mentions at once, per channel"
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="every run: replies, baseline, ack, capacity, rss, idle, burst, budget, replicas",
    )
    p.add_argument("--burst-mentions", type=int, help="mentions at once in the burst (default 80)")
    p.add_argument(
        "--burst-channels",
        type=_csv_ints,
        default=[20, 1],
        help="channels the burst is spread over, one run each (default 20,1)",
    )
    p.add_argument("--burst-tokens", type=int, default=200, help="tokens per burst answer (default 200)")
    p.add_argument("--budget", action="store_true", help="a burst of mentions against a small monthly budget")
    p.add_argument(
        "--replicas",
        action="store_true",
        help="several processes on PostgreSQL (BOT_BENCH_POSTGRES_URL): a burst, Stop on another, an outage",
    )
    p.add_argument(
        "--replica-count", type=int, default=3, help="processes for the --replicas burst (default 3)"
    )
    p.add_argument(
        "--outage-seconds", type=float, default=10.0, help="database cut in --replicas (default 10)"
    )
    p.add_argument("--ack-rate", type=float, default=50.0, help="events per second (default 50)")
    p.add_argument("--ack-seconds", type=float, help="seconds of events (default 5)")
    p.add_argument("--ack-load", type=int, default=0, help="replies streaming during the ack run (default 0)")
    p.add_argument("--rss-replies", type=int, help="replies in flight for --rss (default 100)")
    p.add_argument(
        "--rss-rate-limits",
        choices=("tiers", "off"),
        default="off",
        help="rate limits during --rss (default off, so all replies are in flight at once)",
    )
    p.add_argument(
        "--budget-mentions", type=int, default=40, help="mentions at once for --budget (default 40)"
    )
    p.add_argument(
        "--budget-tokens", type=int, default=1000, help="monthly budget for --budget (default 1000)"
    )
    p.add_argument("--capacity-start", type=int, default=10, help="first capacity step (default 10)")
    p.add_argument("--capacity-max", type=int, help="last capacity step tried (default 200)")
    p.add_argument(
        "--capacity-rate-limits",
        choices=("tiers", "off"),
        default="off",
        help="off (default): no limits in the fake and no write budget in the bot, so the replies"
        " of a step really run at once; tiers: both kept",
    )
    p.add_argument(
        "--timeout",
        type=float,
        help="seconds past the end of Claude's streams to wait for the bot (default 240)",
    )
    p.add_argument(
        "--bot-env",
        type=_env_pair,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the bot, e.g. SLACK_UPDATE_INTERVAL=2 (repeatable)",
    )
    p.add_argument(
        "--settle",
        type=float,
        help="seconds to wait after each warm-up turn (default: 61 for bursts of 40+ replies with rate"
        " limits, so the warm-up's calls have left every per-minute window; else 0)",
    )
    p.add_argument("--keep-logs", type=Path, help="copy each bot process's log into this folder")
    return p


def _resolve(args: argparse.Namespace) -> argparse.Namespace:
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.concurrency = _csv_ints(args.concurrency) if isinstance(args.concurrency, str) else args.concurrency
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    chosen = {s for s in SECTIONS if getattr(args, s)}
    args.sections = set(SECTIONS) if args.all else chosen or {"replies", "ack", "idle", "burst"}
    return args


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _git() -> dict[str, Any]:
    def run(*cmd: str) -> str | None:
        try:
            done = subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = run("status", "--porcelain")
    return {"commit": run("rev-parse", "HEAD"), "dirty": None if status is None else bool(status)}


def _machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": os.getloadavg(),
    }


def _finite(value: Any) -> Any:
    """JSON has no infinity: a latency that never happened is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


async def run(args: argparse.Namespace) -> dict[str, Any]:
    config = Config(
        tokens=args.tokens,
        tps=args.tps,
        ttft=args.ttft,
        slack_latency=args.slack_latency,
        rate_limits=args.rate_limits == "tiers",
        timeout=args.timeout,
        bot_env=dict(args.bot_env),
        keep_logs=args.keep_logs,
        settle=args.settle,
    )
    results: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in ("replies", "baseline", "ack", "rss", "capacity", "idle", "burst", "budget", "replicas")
    }
    if "idle" in args.sections:
        _progress("idle: a started bot, untouched, then after its first reply")
        results["idle"].append(await run_idle(config, args.modes[0]))
    if "replies" in args.sections:
        for concurrency in args.concurrency:
            for mode in args.modes:
                _progress(f"replies: mode={mode} concurrency={concurrency}")
                results["replies"].append(await run_replies(config, mode, concurrency))
            _progress(f"baseline: {concurrency} streams")
            results["baseline"].append(await run_baseline(config, concurrency))
    if "ack" in args.sections:
        _progress(f"ack: {args.ack_rate:g} events/s for {args.ack_seconds:g} s")
        results["ack"].append(
            await run_ack(
                config, args.modes[0], rate=args.ack_rate, seconds=args.ack_seconds, load=args.ack_load
            )
        )
    if "rss" in args.sections:
        for mode in args.modes:
            _progress(f"rss: mode={mode} replies={args.rss_replies}")
            rss_config = config
            if args.rss_rate_limits == "off":
                # Neither Slack nor the bot's own budget may hold replies back, or fewer are in flight.
                rss_config = replace(config, rate_limits=False, bot_env={**UNPACED_BOT_ENV, **config.bot_env})
            run_rss = await run_replies(rss_config, mode, args.rss_replies)
            results["rss"].append(run_rss)
    if "burst" in args.sections:
        burst_config = replace(config, tokens=args.burst_tokens)
        for channels in args.burst_channels:
            _progress(f"burst: {args.burst_mentions} mentions over {channels} channels")
            results["burst"].append(
                await run_burst(burst_config, mentions=args.burst_mentions, channels=channels)
            )
    if "replicas" in args.sections:
        burst_config = replace(config, tokens=args.burst_tokens)
        _progress(f"replicas: {args.burst_mentions} mentions over 20 channels, {args.replica_count} replicas")
        results["replicas"].append(
            await run_replica_burst(
                burst_config, count=args.replica_count, mentions=args.burst_mentions, channels=20
            )
        )
        _progress("replicas: Stop pressed on another replica")
        results["replicas"].append(await run_replica_stop(config))
        _progress(f"replicas: a {args.outage_seconds:g} s database outage in steady traffic")
        results["replicas"].append(await run_replica_outage(burst_config, cut=args.outage_seconds))
    if "capacity" in args.sections:
        steps = capacity_steps(args.capacity_start, args.capacity_max)
        for mode in args.modes:
            _progress(f"capacity: mode={mode} steps={steps}")
            paced = args.capacity_rate_limits == "tiers"
            results["capacity"].append(await run_capacity(config, mode, steps, paced=paced))
    if "budget" in args.sections:
        _progress(f"budget: {args.budget_mentions} mentions against {args.budget_tokens} tokens")
        results["budget"].append(
            await run_budget(config, args.modes[0], args.budget_mentions, args.budget_tokens)
        )
    return results


def render(results: dict[str, list[dict[str, Any]]], targets: list[dict[str, Any]]) -> str:
    parts = []
    if results["replies"]:
        parts += [
            report.latency_table(results["replies"]),
            report.slack_table(results["replies"]),
            report.cpu_table(results["replies"], results["baseline"]),
            report.baseline_table(results["baseline"]),
        ]
    if results["ack"]:
        parts.append(report.ack_table(results["ack"]))
    if results["rss"]:
        parts.append(report.rss_table(results["rss"]))
    if results["capacity"]:
        parts.append(report.capacity_table(results["capacity"]))
    if results["idle"]:
        parts.append(report.idle_table(results["idle"]))
    if results["burst"]:
        parts.append(report.burst_table(results["burst"]))
    if results["budget"]:
        parts.append(report.budget_table(results["budget"]))
    if results["replicas"]:
        parts.append(report.replicas_table(results["replicas"]))
    parts.append(report.targets_table(targets))
    return "\n\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    args = _resolve(parser().parse_args(argv))
    started = time.time()
    machine = _machine()
    results = asyncio.run(run(args))
    targets = report.targets(
        results["replies"],
        results["baseline"],
        results["ack"],
        results["rss"],
        results["capacity"],
        results["idle"],
        results["budget"],
        args.slack_latency * 1000,
        args.ttft * 1000,
        results["burst"],
        results["replicas"],
    )
    print(render(results, targets))
    document = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_seconds": round(time.time() - started, 1),
        "argv": sys.argv[1:] if argv is None else list(argv),
        "settings": {
            "modes": args.modes,
            "concurrency": args.concurrency,
            "tokens": args.tokens,
            "chars_per_token": 4,
            "tps": args.tps,
            "ttft": args.ttft,
            "slack_latency": args.slack_latency,
            "rate_limits": args.rate_limits,
            "sections": sorted(args.sections),
            "ack": {"rate": args.ack_rate, "seconds": args.ack_seconds, "load": args.ack_load},
            "rss": {
                "replies": args.rss_replies,
                "rate_limits": args.rss_rate_limits,
                "bot_env": UNPACED_BOT_ENV if args.rss_rate_limits == "off" else {},
            },
            "budget": {"mentions": args.budget_mentions, "tokens": args.budget_tokens},
            "capacity": {
                "start": args.capacity_start,
                "max": args.capacity_max,
                "rate_limits": args.capacity_rate_limits,
            },
            "burst": {
                "mentions": args.burst_mentions,
                "channels": args.burst_channels,
                "tokens": args.burst_tokens,
            },
            "timeout": args.timeout,
            "settle": args.settle,
            "bot_env": dict(args.bot_env),
            "visible_time": "Slack call arrival at the fake + configured latency (when the answer left)",
        },
        "git": _git(),
        "machine": machine,
        "results": results,
        "targets": targets,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(_finite(document), indent=1))
    print(f"\nFigures written to {args.json}")
    return 0

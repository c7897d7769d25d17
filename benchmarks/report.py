"""Plain-text tables and the targets verdict, from the figures the scenarios return.

Plain alignment and no extra dependencies, so the output pastes into an issue or a terminal
log as it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

RSS_TARGET_MB = 250
IDLE_RSS_TARGET_MB = 110
ACK_P99_TARGET_MS = 50
CPU_RATIO_TARGET = 0.4
CAPACITY_TARGET = 30
FIRST_TEXT_AT_50_MS = 1000
FIRST_TEXT_SLACK_MARGIN_MS = 30
BURST_FINAL_VS_ALONE = 2.0
BURST_LAST_TOKEN_TO_FINAL_MS = 2000
ONE_CHANNEL_LAST_FINAL_MS = 90_000
AFTER_BURST_FIRST_TEXT_MS = 1000
STOP_ELSEWHERE_MS = 1000


def fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], *, left: int = 1) -> str:
    """The first `left` columns (labels) left-aligned, the rest right-aligned, as numbers read best."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.ljust(w) if i < left else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    out = [title, line(headers), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells] or ["(no runs)"]
    return "\n".join(out)


def _mode(run: dict[str, Any]) -> str:
    asked, seen = run["mode_asked"], run.get("mode_observed")
    return asked if seen in (None, asked) else f"{asked} (ran {seen})"


def _pcts(figures: dict[str, Any]) -> list[str]:
    return [fmt(figures[k]) for k in ("p50", "p95", "p99")]


def latency_table(runs: Sequence[dict[str, Any]]) -> str:
    rows = [
        [
            _mode(r),
            r["concurrency"],
            *_pcts(r["latency_ms"]["thinking"]),
            *_pcts(r["latency_ms"]["first_text"]),
            *_pcts(r["latency_ms"]["final_text"]),
        ]
        for r in runs
    ]
    headers = ["mode", "replies"]
    for name in ("think", "first", "final"):
        headers += [f"{name} p50", "p95", "p99"]
    return table(
        "Latency, ms (think: event sent -> status/first message visible; first: Claude's first token ->"
        " first text visible; final: Claude's last token -> last write visible)",
        headers,
        rows,
    )


def slack_table(runs: Sequence[dict[str, Any]]) -> str:
    rows = []
    for r in runs:
        by_method = ", ".join(
            f"{k.split('.')[-1]} {v}" for k, v in sorted(r["rate_limited_by_method"].items())
        )
        rows.append(
            [
                _mode(r),
                r["concurrency"],
                fmt(r["writes_per_reply"], 1),
                fmt(r["status_calls_per_reply"], 1),
                r["rate_limited"],
                by_method or "-",
                f"{r['text_mismatches']}/{r['concurrency']}",
                f"{r['turns_finished']}/{r['concurrency']}",
                fmt(r["wall_seconds"], 1),
            ]
        )
    return table(
        "Slack calls (writes: postMessage/update/start|append|stopStream/delete per reply; 429s: total)",
        [
            "mode",
            "replies",
            "writes/reply",
            "status/reply",
            "429s",
            "429s by method",
            "text wrong",
            "turns done",
            "wall s",
        ],
        rows,
    )


def _baseline_for(baselines: Sequence[dict[str, Any]], concurrency: int) -> dict[str, Any] | None:
    return next((b for b in baselines if b["concurrency"] == concurrency), None)


def cpu_ratio(run: dict[str, Any], baselines: Sequence[dict[str, Any]]) -> float | None:
    base = _baseline_for(baselines, run["concurrency"])
    if base is None or not base["cpu_per_reply"]:
        return None
    return float(run["bot_cpu_per_reply"]) / float(base["cpu_per_reply"])


def cpu_table(runs: Sequence[dict[str, Any]], baselines: Sequence[dict[str, Any]]) -> str:
    rows = []
    for r in runs:
        base = _baseline_for(baselines, r["concurrency"])
        rows.append(
            [
                _mode(r),
                r["concurrency"],
                fmt(r["bot_cpu_per_reply"], 3),
                fmt(base["cpu_per_reply"], 3) if base else "-",
                fmt(cpu_ratio(r, baselines), 2),
                fmt(r["bot_rss_before_kb"] / 1024, 1) if r["bot_rss_before_kb"] else "-",
                fmt(r["bot_rss_peak_kb"] / 1024, 1),
                fmt(base["rss_peak_kb"] / 1024, 1) if base else "-",
                fmt(r["harness_cpu_seconds"] / max(r["wall_seconds"], 1e-9) * 100, 0),
            ]
        )
    return table(
        "CPU and memory (bot process, read from /proc; baseline = SDK default path reading the same"
        " streams in its own process)",
        [
            "mode",
            "replies",
            "bot CPU s/reply",
            "baseline s/reply",
            "ratio",
            "bot RSS start MB",
            "bot RSS peak MB",
            "baseline RSS MB",
            "harness CPU %",
        ],
        rows,
    )


def ack_table(acks: Sequence[dict[str, Any]]) -> str:
    rows = [
        [
            a["mode_asked"],
            a["events"],
            fmt(a["rate_sent"], 1),
            a["replies_in_flight"],
            fmt(a["latency_ms"]["p50"], 1),
            fmt(a["latency_ms"]["p95"], 1),
            fmt(a["latency_ms"]["p99"], 1),
            fmt(a["latency_ms"]["max"], 1),
            a["non_200"],
            fmt(a["bot_cpu_ms_per_event"], 2),
        ]
        for a in acks
    ]
    return table(
        "HTTP ack latency (signed message events; send -> HTTP response, measured by the sender)",
        [
            "mode",
            "events",
            "per s",
            "replies streaming",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "non-200",
            "bot CPU ms/event",
        ],
        rows,
    )


def rss_table(runs: Sequence[dict[str, Any]]) -> str:
    rows = [
        [
            _mode(r),
            r["concurrency"],
            r["max_streams_in_flight"],
            r["rate_limits"],
            fmt(r["bot_rss_before_kb"] / 1024, 1) if r["bot_rss_before_kb"] else "-",
            fmt(r["bot_rss_peak_kb"] / 1024, 1),
            fmt((r["bot_hwm_kb"] or 0) / 1024, 1),
            fmt(r["latency_ms"]["first_text"]["p50"]),
            f"{r['text_mismatches']}/{r['concurrency']}",
        ]
        for r in runs
    ]
    return table(
        "Memory with many replies in flight (peak of VmRSS sampled every 50 ms; HWM = kernel's peak)",
        [
            "mode",
            "replies",
            "max in flight",
            "rate limits",
            "RSS start MB",
            "RSS peak MB",
            "HWM MB",
            "first p50 ms",
            "text wrong",
        ],
        rows,
    )


def idle_table(runs: Sequence[dict[str, Any]]) -> str:
    rows = [
        [
            r["mode_asked"],
            fmt(r["idle_rss_kb"] / 1024, 1),
            fmt(r["after_first_reply_rss_kb"] / 1024, 1),
            fmt(r["hwm_kb"] / 1024, 1),
        ]
        for r in runs
    ]
    title = (
        f"Idle memory (VmRSS {runs[0]['wait_seconds']:g} s after start, schema already current; then after"
        " the first reply)"
    )
    return table(title, ["mode", "idle RSS MB", "after 1st reply MB", "HWM MB"], rows)


def capacity_table(runs: Sequence[dict[str, Any]]) -> str:
    rows = []
    for c in runs:
        pacing = "paced" if c["paced"] else "unpaced"
        for step in c["steps"]:
            share = step.get("steady_bot_cpu_share")
            rows.append(
                [
                    f"{c['mode_asked']} ({pacing})",
                    step["concurrency"],
                    step["max_streams_in_flight"],
                    fmt(step["first_text_ms"]["p50"]),
                    fmt(step["first_text_ms"]["p95"]),
                    fmt(step["thinking_ms"]["p50"]),
                    step["rate_limited"],
                    fmt(None if share is None else share * 100, 0),
                    "pass"
                    if step["passed"]
                    else "FAIL (first)"
                    if not step["first_text_ok"]
                    else "FAIL (think)",
                ]
            )
        bound = "" if c["bounded"] else " or more"
        rows.append([f"{c['mode_asked']} ({pacing})", *[""] * 7, f"capacity {c['capacity']}{bound}"])
        only = c["capacity_first_text_only"]
        more = "" if c["first_text_only_bounded"] else " or more"
        rows.append([f"{c['mode_asked']} ({pacing})", *[""] * 7, f"first-text only: {only}{more}"])
    return table(
        "Capacity (N replies streaming steadily until first-visible or thinking p50 > 1 s: 2N arrive"
        " evenly over two"
        " stream lengths, figures from the second N; unpaced = no Slack rate limits and no bot write"
        " budget; bot CPU % of one core in the steady state)",
        [
            "mode",
            "replies",
            "in flight",
            "first p50 ms",
            "first p95 ms",
            "think p50 ms",
            "429s",
            "bot CPU %",
            "verdict",
        ],
        rows,
    )


def baseline_table(baselines: Sequence[dict[str, Any]]) -> str:
    rows = [
        [
            b["concurrency"],
            fmt(b["cpu_per_reply"], 3),
            fmt(b["cpu_seconds"], 2),
            fmt(b["wall_seconds"], 1),
            fmt(b["rss_peak_kb"] / 1024, 1),
            f"{b['complete_streams']}/{b['concurrency']}",
        ]
        for b in baselines
    ]
    return table(
        "Baseline reader (AsyncAnthropic default transport, messages.stream, text_stream)",
        ["streams", "CPU s/reply", "CPU s", "wall s", "RSS peak MB", "complete"],
        rows,
    )


def burst_table(runs: Sequence[dict[str, Any]]) -> str:
    rows = [
        [
            f"{r['mentions']} over {r['channels']} ch",
            f"{r['complete']}/{r['mentions']}",
            r["rate_limited"],
            fmt(r["alone_mention_to_final_ms"]),
            *[fmt(r["latency_ms"]["mention_to_final"][k]) for k in ("p50", "p95")],
            *[fmt(r["latency_ms"]["final_text"][k]) for k in ("p50", "p95")],
            fmt(r["latency_ms"]["first_text"]["p95"]),
            fmt(r["latency_ms"]["thinking"]["p99"]),
            fmt(r["last_final_after_burst_start_ms"]),
            fmt(r["after"]["first_text_ms"]),
            " ".join(f"{k}:{v}" for k, v in sorted(r["ways"].items())),
            r["calls_by_method"].get("auth.test", 0),
            r["calls_by_method"].get("conversations.replies", 0),
        ]
        for r in runs
    ]
    return table(
        "Burst (ms; Slack's tiers per workspace and chat.postMessage per channel enforced)",
        [
            "burst",
            "complete",
            "429s",
            "alone",
            "mention->final p50",
            "p95",
            "last token->final p50",
            "p95",
            "first text p95",
            "think p99",
            "last final",
            "next mention first text",
            "ways",
            "auth.test",
            "replies reads",
        ],
        rows,
    )


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "PASS" if ok else "MISS"


def targets(
    replies: Sequence[dict[str, Any]],
    baselines: Sequence[dict[str, Any]],
    acks: Sequence[dict[str, Any]],
    rss: Sequence[dict[str, Any]],
    capacity: Sequence[dict[str, Any]],
    idle: Sequence[dict[str, Any]],
    budgets: Sequence[dict[str, Any]],
    slack_latency_ms: float,
    ttft_ms: float,
    bursts: Sequence[dict[str, Any]],
    replica_runs: Sequence[dict[str, Any]],
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(target: str, scope: str, measured: str, goal: str, ok: bool | None) -> None:
        out.append(
            {"target": target, "scope": scope, "measured": measured, "goal": goal, "status": _verdict(ok)}
        )

    modes = list(dict.fromkeys(r["mode_asked"] for r in replies))
    for mode in modes:
        runs = [r for r in replies if r["mode_asked"] == mode]
        for r in runs:
            p50 = r["latency_ms"]["first_text"]["p50"]
            if r["concurrency"] == 1:
                goal = slack_latency_ms + FIRST_TEXT_SLACK_MARGIN_MS
                add(
                    "first token -> first text p50",
                    f"{mode}, 1 reply",
                    f"{fmt(p50)} ms",
                    f"<= {goal:.0f} ms",
                    p50 is not None and p50 <= goal,
                )
            if r["concurrency"] == 50:
                add(
                    "first token -> first text p50",
                    f"{mode}, 50 replies",
                    f"{fmt(p50)} ms",
                    f"<= {FIRST_TEXT_AT_50_MS} ms",
                    p50 is not None and p50 <= FIRST_TEXT_AT_50_MS,
                )
        limited = ", ".join(f"{r['concurrency']}: {r['rate_limited']}" for r in runs)
        add("zero 429s", mode, limited, "0 at every concurrency", all(r["rate_limited"] == 0 for r in runs))
        wrong = sum(r["text_mismatches"] for r in runs)
        total = sum(r["concurrency"] for r in runs)
        add("final text byte-identical", mode, f"{total - wrong}/{total} identical", "all", wrong == 0)
        for r in runs:
            ratio = cpu_ratio(r, baselines)
            add(
                "bot CPU/reply vs SDK baseline",
                f"{mode}, {r['concurrency']} replies",
                fmt(ratio, 2) + "x",
                f"<= {CPU_RATIO_TARGET}x",
                None if ratio is None else ratio <= CPU_RATIO_TARGET,
            )
    for a in acks:
        p99 = a["latency_ms"]["p99"]
        add(
            "ack p99",
            f"{a['mode_asked']}, {a['rate_asked']:g}/s, {a['replies_in_flight']} streaming",
            f"{fmt(p99, 1)} ms",
            f"<= {ACK_P99_TARGET_MS} ms",
            p99 is not None and p99 <= ACK_P99_TARGET_MS,
        )
    for r in rss:
        peak = r["bot_rss_peak_kb"] / 1024
        add(
            "peak RSS",
            f"{r['mode_asked']}, {r['concurrency']} replies ({r['max_streams_in_flight']} in flight)",
            f"{peak:.1f} MB",
            f"<= {RSS_TARGET_MB} MB",
            peak <= RSS_TARGET_MB,
        )
    for i in idle:
        rss_mb = i["idle_rss_kb"] / 1024
        add(
            "idle RSS",
            i["mode_asked"],
            f"{rss_mb:.1f} MB",
            f"<= {IDLE_RSS_TARGET_MB} MB",
            rss_mb <= IDLE_RSS_TARGET_MB,
        )
    for c in capacity:
        add(
            "capacity (first & think p50 <= 1 s)",
            f"{c['mode_asked']}, {'paced' if c['paced'] else 'unpaced'}",
            f"{c['capacity']}{'' if c['bounded'] else '+'} replies",
            f">= {CAPACITY_TARGET}",
            # A search that stopped below the target without failing has not answered the question.
            True if c["capacity"] >= CAPACITY_TARGET else False if c["bounded"] else None,
        )
    for b in bursts:
        scope = f"{b['mentions']} at once over {b['channels']} channel{'s' if b['channels'] > 1 else ''}"
        add(
            "zero 429s, all complete",
            scope,
            f"{b['rate_limited']} x 429, {b['complete']}/{b['mentions']}",
            "0, all",
            b["rate_limited"] == 0 and b["complete"] == b["mentions"],
        )
        if b["channels"] > 1:
            _burst_latency_targets(add, scope, b)
        else:
            last_final = b["last_final_after_burst_start_ms"]
            add(
                "last answer complete",
                scope,
                f"{fmt(last_final)} ms",
                f"<= {ONE_CHANNEL_LAST_FINAL_MS} ms",
                last_final is not None and last_final <= ONE_CHANNEL_LAST_FINAL_MS,
            )
        first = b["alone_mention_to_first_ms"]
        goal = ttft_ms + slack_latency_ms + FIRST_TEXT_SLACK_MARGIN_MS
        add(
            "a new mention -> first text (alone)",
            scope,
            f"{fmt(first)} ms",
            f"<= TTFT + 1 RTT + {FIRST_TEXT_SLACK_MARGIN_MS} ms ({goal:.0f} ms)",
            first is not None and first <= goal,
        )
        after = b["after"]["first_text_ms"]
        add(
            "next mention: first token -> first text",
            scope,
            f"{fmt(after)} ms",
            f"<= {AFTER_BURST_FIRST_TEXT_MS} ms",
            after is not None and after <= AFTER_BURST_FIRST_TEXT_MS,
        )
    for r in replica_runs:
        if r["kind"] == "replica_burst":
            scope = f"{r['replicas']} replicas, {r['mentions']} over {r['channels']} channels"
            add(
                "zero 429s, all complete",
                scope,
                f"{r['rate_limited']} x 429, {r['complete']}/{r['mentions']}",
                "0, all",
                r["rate_limited"] == 0 and r["complete"] == r["mentions"],
            )
            _burst_latency_targets(add, scope, r)
        elif r["kind"] == "replica_stop":
            ended = r["stream_ended_ms"]
            add(
                "Stop on another replica: stream ends",
                f"{r['replicas']} replicas",
                f"{fmt(ended)} ms",
                f"<= {STOP_ELSEWHERE_MS} ms",
                r["stopped"] and ended is not None and ended <= STOP_ELSEWHERE_MS,
            )
        else:
            add(
                "database outage: one answer each",
                f"{r['replicas']} replicas, {r['cut_seconds']:g} s cut, {r['sent_during_cut']} sent in it",
                f"{r['answered_once']}/{r['mentions']} once, {r['answered_twice_or_more']} twice",
                "all exactly once",
                r["answered_once"] == r["mentions"],
            )
    for b in budgets:
        ceiling = b["budget"] + b["max_tokens"]
        add(
            "budget: spent <= budget + one answer",
            f"{b['mode_asked']}, {b['mentions']} at once, {b['budget']} tokens",
            f"{b['spent']} tokens, {b['heard_back']}/{b['mentions']} heard back",
            f"<= {ceiling}, all heard back",
            b["spent"] <= ceiling and b["heard_back"] == b["mentions"],
        )
    return out


def replicas_table(runs: Sequence[dict[str, Any]]) -> str:
    lines = []
    for r in runs:
        if r["kind"] == "replica_burst":
            m2f, final = r["latency_ms"]["mention_to_final"], r["latency_ms"]["final_text"]
            lines.append(
                f"burst: {r['replicas']} replicas, {r['mentions']} mentions over {r['channels']} channels: "
                f"{r['complete']}/{r['mentions']} complete, {r['rate_limited']} x 429, "
                f"one alone {fmt(r['alone_mention_to_final_ms'])} ms, mention -> final p50/p95 "
                f"{fmt(m2f['p50'])}/{fmt(m2f['p95'])} ms, last token -> final p95 {fmt(final['p95'])} ms, "
                f"ways {r['ways']}"
            )
        elif r["kind"] == "replica_stop":
            lines.append(
                f"stop: pressed on another of {r['replicas']} replicas (HTTP {r['click_status']}): Claude's "
                f"stream ended {fmt(r['stream_ended_ms'])} ms after the click "
                f"({r['deltas_sent']}/{r['deltas_in_answer']} deltas sent)"
            )
        else:
            late = r["held_answered_after_restore_ms"]
            lines.append(
                f"outage: {r['replicas']} replicas, {r['mentions']} mentions, database cut for "
                f"{r['cut_seconds']:g} s ({r['sent_during_cut']} sent meanwhile): "
                f"{r['answered_once']} answered once, {r['answered_twice_or_more']} twice, "
                f"{r['unanswered']} never; those sent in the cut "
                f"answered p50/max {fmt(late['p50'])}/{fmt(late['p99'])} ms after it ended; "
                f"log {r['warning_lines']} warnings, {r['error_lines']} errors"
            )
    return "Replicas\n" + "\n".join(lines)


def budget_table(runs: Sequence[dict[str, Any]]) -> str:
    rows = [
        [
            r["mode_asked"],
            r["mentions"],
            r["budget"],
            r["max_tokens"],
            r["claude_calls"],
            r["refused"],
            f"{r['heard_back']}/{r['mentions']}",
            r["spent"],
        ]
        for r in runs
    ]
    return table(
        "Monthly budget under a burst (mentions at once; spent: the ledger's month, warm-up included)",
        ["mode", "mentions", "budget", "max_tokens", "Claude calls", "refused", "heard back", "spent"],
        rows,
    )


def _burst_latency_targets(add: Callable[..., None], scope: str, run: dict[str, Any]) -> None:
    """A burst spread over channels: mention -> final against one answer alone, and last token -> final."""
    alone, p95 = run["alone_mention_to_final_ms"], run["latency_ms"]["mention_to_final"]["p95"]
    goal = None if alone is None else alone * BURST_FINAL_VS_ALONE
    add(
        "mention -> final p95",
        scope,
        f"{fmt(p95)} ms",
        f"<= 2 x alone ({fmt(goal)} ms)",
        None if goal is None or p95 is None else p95 <= goal,
    )
    last = run["latency_ms"]["final_text"]["p95"]
    add(
        "last token -> final p95",
        scope,
        f"{fmt(last)} ms",
        f"<= {BURST_LAST_TOKEN_TO_FINAL_MS} ms",
        last is not None and last <= BURST_LAST_TOKEN_TO_FINAL_MS,
    )


def targets_table(rows: Sequence[dict[str, Any]]) -> str:
    return table(
        "Targets",
        ["target", "scope", "measured", "goal", "verdict"],
        [[r["target"], r["scope"], r["measured"], r["goal"], r["status"]] for r in rows],
        left=4,
    )

"""Prometheus metrics for `/metrics`. Labels stay low-cardinality: workspace and model ids, never
channels, users or text."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REPLIES = Counter("bot_replies_total", "Replies finished, by outcome", ["outcome"])
ERRORS = Counter("bot_errors_total", "Claude or Slack failures seen by users, by kind", ["kind"])
TOKENS = Counter(
    "bot_tokens_total", "Tokens spent, by workspace, model and kind", ["team_id", "model", "kind"]
)
TIME_TO_FIRST_TOKEN = Histogram(
    "bot_time_to_first_token_seconds",
    "From the Claude request to its first text",
    buckets=(0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
)
REPLY_DURATION = Histogram(
    "bot_reply_duration_seconds",
    "From the Claude request to its end",
    buckets=(1, 2, 5, 10, 20, 40, 80, 160, 320, 640),
)
SLACK_RATE_LIMITED = Counter("bot_slack_ratelimited_total", "429 answers from Slack, by method", ["method"])
IN_FLIGHT = Gauge("bot_replies_in_flight", "Replies being written right now")


def record_reply(
    *, team_id: str, model: str, outcome: str, usage: dict[str, int], ttft_ms: int | None, duration_ms: int
) -> None:
    REPLIES.labels(outcome).inc()
    if outcome not in {"ok", "stopped", "max_tokens", "refusal"}:
        ERRORS.labels(outcome).inc()
    for kind, count in usage.items():
        if count:
            TOKENS.labels(team_id, model, kind).inc(count)
    if ttft_ms is not None:
        TIME_TO_FIRST_TOKEN.observe(ttft_ms / 1000)
    REPLY_DURATION.observe(duration_ms / 1000)

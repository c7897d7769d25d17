"""A turn's ledger rows: one per Messages API call, settling the call's budget reservation, and
the same figures for `/metrics`."""

from __future__ import annotations

from bot.claude.stream import StreamResult
from bot.flows.shared import Services
from bot.flows.turn_request import TurnRequest
from bot.process import metrics
from bot.store import spending
from bot.store.models import UsageRecord


async def account(
    services: Services,
    request: TurnRequest,
    model: str,
    result: StreamResult,
    reply_ts: str | None = None,
    reservation: str | None = None,
) -> None:
    """One ledger row per Messages API call, in place of the turn's budget reservation once the
    turn's last call is done, and the same figures for `/metrics`; `reply_ts` (the answer's first
    message) lets feedback on the answer find the row."""
    row = _usage_row(request, model, result, reply_ts, services.settings.web_search_budget_tokens)

    async def settle() -> None:
        await spending.settle(services.db, row, reservation)

    await services.backlog.attempt("ledger row", settle)
    metrics.record_reply(
        team_id=row.team_id,
        model=model,
        outcome=row.error_kind or _outcome(result.stop_reason),
        usage={
            "input": row.input_tokens,
            "output": row.output_tokens,
            "cache_creation": row.cache_creation_input_tokens,
            "cache_read": row.cache_read_input_tokens,
        },
        ttft_ms=row.ttft_ms,
        duration_ms=row.duration_ms,
    )


def _outcome(stop_reason: str | None) -> str:
    return "ok" if stop_reason in {"end_turn", "stop_sequence"} else stop_reason or "unknown"


def _usage_row(
    request: TurnRequest, model: str, result: StreamResult, reply_ts: str | None, search_tokens: int
) -> UsageRecord:
    usage = result.usage
    return UsageRecord(
        team_id=request.thread.team_id,
        enterprise_id=request.enterprise_id,
        channel_id=request.thread.channel_id,
        thread_ts=request.thread.thread_ts,
        user_id=request.user_id,
        model=model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_creation_input_tokens=usage.cache_creation_input_tokens,
        cache_read_input_tokens=usage.cache_read_input_tokens,
        stop_reason=result.stop_reason,
        request_id=result.request_id or (result.failure and result.failure.request_id),
        ttft_ms=result.ttft_ms,
        duration_ms=result.duration_ms,
        error_kind=result.failure.kind if result.failure else ("stopped" if result.stopped else None),
        reply_ts=reply_ts,
        web_search_requests=usage.web_search_requests,
        web_fetch_requests=usage.web_fetch_requests,
        thinking_tokens=usage.thinking_tokens,
        tool_tokens=usage.web_search_requests * search_tokens,
    )

"""Forgetting what is no longer needed: old ledger rows (and the feedback on them), threads quiet
for long, old prompt history, expired OAuth states.

Deletes go in bounded batches, each its own short transaction, so a first run over years of rows
never holds a lock for long, and a run stops after `MAX_BATCHES` per kind (the next run goes on).
Every delete is idempotent: replicas running it at the same time only find less to do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import ColumnElement, MetaData, Select, delete, select, tuple_
from sqlmodel import col

from bot.store.db import Database
from bot.store.models import BotThread, Feedback, PromptChange, UsageRecord, utcnow

BATCH = 500
MAX_BATCHES = 200
"""At most 100,000 rows of a kind per run."""

OAUTH_STATES = AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(MetaData(), "slack_oauth_states")


@dataclass(frozen=True)
class RetentionPolicy:
    """Days each kind is kept; 0 keeps it forever."""

    usage_days: int
    """Ledger rows, and the feedback given on them."""
    thread_days: int
    """Threads the bot is in, counted from their last turn: after that a reply needs a new mention."""
    prompt_history_days: int
    """`prompt_changes` (old and new prompt texts)."""


async def prune_old_rows(
    db: Database, policy: RetentionPolicy, now: datetime | None = None
) -> dict[str, int]:
    """Rows deleted per table."""
    now = now or utcnow()
    removed: dict[str, int] = {}
    if policy.usage_days:
        cutoff = now - timedelta(days=policy.usage_days)
        ids = select(UsageRecord.id).where(col(UsageRecord.created_at) < cutoff).order_by(col(UsageRecord.id))
        removed["feedback"] = 0

        async def ledger_batch() -> int:
            """Feedback first, in the same transaction: it points at the ledger row (foreign key)."""
            async with db.engine.begin() as conn:
                batch = list((await conn.execute(ids.limit(BATCH))).scalars())
                if not batch:
                    return 0
                feedback = await conn.execute(
                    delete(Feedback).where(col(Feedback.usage_record_id).in_(batch))
                )
                removed["feedback"] += feedback.rowcount or 0
                ledger = await conn.execute(delete(UsageRecord).where(col(UsageRecord.id).in_(batch)))
                return int(ledger.rowcount or 0)

        removed["usage_records"] = await _in_batches(ledger_batch)
    if policy.thread_days:
        keys = (col(BotThread.team_id), col(BotThread.channel_id), col(BotThread.thread_ts))
        quiet = col(BotThread.last_active_at) < now - timedelta(days=policy.thread_days)
        removed["bot_threads"] = await _delete_in_batches(db, BotThread, keys, select(*keys).where(quiet))
    if policy.prompt_history_days:
        old = col(PromptChange.changed_at) < now - timedelta(days=policy.prompt_history_days)
        removed["prompt_changes"] = await _delete_in_batches(
            db, PromptChange, (col(PromptChange.id),), select(PromptChange.id).where(old)
        )
    return removed


async def prune_expired_oauth_states(db: Database, now: datetime | None = None) -> int:
    """States of installs begun and never finished (or refused): slack_sdk only deletes the ones
    consumed. Its column is naive UTC."""
    expired = OAUTH_STATES.c.expire_at < (now or utcnow()).astimezone(UTC).replace(tzinfo=None)
    query = select(OAUTH_STATES.c.id).where(expired)
    return await _delete_in_batches(db, OAUTH_STATES, (OAUTH_STATES.c.id,), query)


async def _delete_in_batches(
    db: Database, table: Any, keys: tuple[ColumnElement[Any], ...], doomed: Select[Any]
) -> int:
    """Delete the rows `doomed` selects (their `keys`), BATCH at a time."""
    target = keys[0] if len(keys) == 1 else tuple_(*keys)

    async def one_batch() -> int:
        async with db.engine.begin() as conn:
            result = await conn.execute(delete(table).where(target.in_(doomed.order_by(*keys).limit(BATCH))))
            return int(result.rowcount or 0)

    return await _in_batches(one_batch)


async def _in_batches(batch: Callable[[], Awaitable[int]]) -> int:
    total = 0
    for _ in range(MAX_BATCHES):
        done = await batch()
        total += done
        if done < BATCH:
            break
    return total

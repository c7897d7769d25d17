"""Retention on SQLite and PostgreSQL: old ledger rows (with their feedback), quiet threads, old
prompt history and expired OAuth states are deleted, in batches, by any number of replicas at once;
everything recent, and everything set to be kept forever, stays."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlmodel import SQLModel

from bot.process.config import Settings
from bot.runtime import housekeeping
from bot.store import Database, retention, threads
from bot.store.models import BotThread, Feedback, PromptChange, UsageRecord, utcnow

NOW = utcnow()
POLICY = retention.RetentionPolicy(usage_days=400, thread_days=90, prompt_history_days=365)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def add(db: Database, table: type[SQLModel], **values: Any) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(insert(table).values(**values))


async def count(db: Database, table: Any) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def usage(db: Database, days_ago: float, feedback_from: tuple[str, ...] = ()) -> int:
    """A ledger row `days_ago`, with a rating from each of `feedback_from`; its id."""
    row = UsageRecord(
        team_id="T1", channel_id="C1", thread_ts="1.0", model="m", created_at=ago(days_ago), reply_ts="2.0"
    )
    async with db.session() as session:
        session.add(row)
        await session.commit()
        assert row.id is not None
    for user in feedback_from:
        await add(db, Feedback, usage_record_id=row.id, user_id=user, team_id="T1", rating=1, created_at=NOW)
    return row.id


async def thread(db: Database, ts: str, *, created: float, active: float) -> None:
    await add(
        db,
        BotThread,
        team_id="T1",
        channel_id="C1",
        thread_ts=ts,
        created_at=ago(created),
        last_active_at=ago(active),
    )


async def prompt_change(db: Database, days_ago: float) -> None:
    await add(
        db,
        PromptChange,
        team_id="T1",
        channel_id="C1",
        new_prompt="secret plans",
        changed_by="U1",
        changed_at=ago(days_ago),
    )


async def ids(db: Database, column: Any) -> set[Any]:
    async with db.engine.connect() as conn:
        return set((await conn.execute(select(column))).scalars())


async def test_retention_prunes_old_rows(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches for each kind
    old_ledger = [await usage(db, 401, feedback_from=("U1", "U2")) for _ in range(3)] + [await usage(db, 500)]
    kept_ledger = [await usage(db, 399, feedback_from=("U1",)), await usage(db, 1)]
    for ts in ("1.0", "2.0", "3.0"):
        await thread(db, ts, created=200, active=91)
    await thread(db, "4.0", created=400, active=89)  # old, but a turn came recently
    await thread(db, "5.0", created=1, active=1)
    for days in (366, 400, 1000):
        await prompt_change(db, days)
    await prompt_change(db, 364)

    removed = await retention.prune_old_rows(db, POLICY, now=NOW)

    assert removed == {"feedback": 6, "usage_records": 4, "bot_threads": 3, "prompt_changes": 3}
    assert await ids(db, UsageRecord.id) == set(kept_ledger)
    assert await ids(db, Feedback.usage_record_id) == {kept_ledger[0]}
    assert await ids(db, BotThread.thread_ts) == {"4.0", "5.0"}
    assert await count(db, PromptChange) == 1
    assert await retention.prune_old_rows(db, POLICY, now=NOW) == dict.fromkeys(removed, 0), "idempotent"
    assert set(old_ledger).isdisjoint(await ids(db, UsageRecord.id))


async def test_retention_set_to_zero_keeps_everything(db: Database) -> None:
    await usage(db, 5000, feedback_from=("U1",))
    await thread(db, "1.0", created=5000, active=5000)
    await prompt_change(db, 5000)
    forever = retention.RetentionPolicy(usage_days=0, thread_days=0, prompt_history_days=0)
    assert await retention.prune_old_rows(db, forever, now=NOW) == {}
    assert [await count(db, table) for table in (UsageRecord, Feedback, BotThread, PromptChange)] == [
        1,
        1,
        1,
        1,
    ]


async def test_a_turn_renews_a_thread(db: Database) -> None:
    await thread(db, "1.0", created=300, active=300)
    await threads.join(db, "T1", "C1", "1.0")  # a turn now: counted from here
    policy = retention.RetentionPolicy(usage_days=0, thread_days=90, prompt_history_days=0)
    assert await retention.prune_old_rows(db, policy) == {"bot_threads": 0}
    assert await threads.is_member(db, "T1", "C1", "1.0")


async def test_replicas_pruning_at_once_delete_each_row_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 3)
    for _ in range(10):
        await usage(db, 1000, feedback_from=("U1",))
    await usage(db, 1)
    for n in range(7):
        await thread(db, f"{n}.0", created=1000, active=1000)
    settings = Settings(_env_file=None, database_url=db.url)  # type: ignore[call-arg]  # default retention
    replicas = [Database(db.url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(housekeeping.tidy(replica, settings) for replica in replicas))
    finally:
        for replica in replicas:
            await replica.close()
    assert sum(result["usage_records"] for result in results) == 10
    assert sum(result["feedback"] for result in results) == 10
    assert sum(result["bot_threads"] for result in results) == 7
    assert await count(db, UsageRecord) == 1 and await count(db, BotThread) == 0

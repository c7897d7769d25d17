"""Budget reservations in the store, on SQLite and PostgreSQL: concurrent reservers (two engines, as
two replicas would) agree, settling swaps a reservation for its ledger row, expired reservations
stop counting, and the month's total stays equal to the ledger."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.core.token_budget import Estimate, month_start
from bot.store import Database, ledger, spending
from bot.store.models import TokenReservation, UsageMonth, UsageRecord

NOW = datetime(2026, 5, 31, 23, 0, tzinfo=UTC)
TTL = timedelta(minutes=35)


def row(tokens: int, at: datetime = NOW, team: str = "T1") -> UsageRecord:
    return UsageRecord(
        team_id=team, channel_id="C1", thread_ts="1.0", model="m", input_tokens=tokens, created_at=at
    )


async def reservations(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(TokenReservation))).scalar_one())


async def month_total(db: Database, month: str, team: str = "T1") -> int | None:
    async with db.session() as session:
        found = await session.get(UsageMonth, (team, month))
        return None if found is None else found.tokens


async def test_reservers_on_two_engines_agree(db: Database) -> None:
    other = Database(db.url)
    try:
        estimate = Estimate(prompt_tokens=50, max_tokens=200)
        attempts = [
            spending.reserve(engine, "T1", estimate, limit=1_000, now=NOW, ttl=TTL)
            for _ in range(20)
            for engine in (db, other)
        ]
        results = await asyncio.gather(*attempts)
        # 0, 250, 500 and 750 reserved leave room for a 50-token prompt; 1,000 doesn't.
        assert sum(r.id is not None for r in results) == 4
        assert await reservations(db) == 4
        refused = [r for r in results if r.id is None]
        assert all(r.reserved == 1_000 and r.spent == 0 for r in refused)
    finally:
        await other.close()


async def test_settling_swaps_the_reservation_for_the_ledger_row(db: Database) -> None:
    await ledger.record(db, row(300, at=NOW - timedelta(days=3)))
    await ledger.record(db, row(5_000, at=NOW - timedelta(days=40)))  # last month: doesn't count
    estimate = Estimate(prompt_tokens=100, max_tokens=600)
    first = await spending.reserve(db, "T1", estimate, limit=1_000, now=NOW, ttl=TTL)
    assert first.id is not None and (first.spent, first.reserved) == (300, 0)
    assert (await spending.reserve(db, "T1", estimate, limit=1_000, now=NOW, ttl=TTL)).id is None

    await spending.settle(db, row(120), first.id)
    assert await reservations(db) == 0
    assert await month_total(db, "2026-05") == 420 == await ledger.tokens_since(db, "T1", month_start(NOW))
    again = await spending.reserve(db, "T1", estimate, limit=1_000, now=NOW, ttl=TTL)
    assert again.id is not None and again.spent == 420
    assert (await spending.reserve(db, "T2", estimate, limit=1_000, now=NOW, ttl=TTL)).id is not None


async def test_a_crashed_turns_reservation_expires(db: Database) -> None:
    estimate = Estimate(prompt_tokens=100, max_tokens=900)
    crashed = await spending.reserve(db, "T1", estimate, limit=1_000, now=NOW, ttl=TTL)
    assert crashed.id is not None  # and never settled
    assert (await spending.reserve(db, "T1", estimate, limit=1_000, now=NOW + TTL / 2, ttl=TTL)).id is None
    later = await spending.reserve(db, "T1", estimate, limit=1_000, now=NOW + TTL, ttl=TTL)
    assert later.id is not None and later.reserved == 0
    assert await reservations(db) == 1, "the expired one is gone, not just ignored"


async def test_the_month_total_follows_the_ledger_across_months_and_writers(db: Database) -> None:
    await ledger.record(db, row(7))  # before anything asked for the total: it starts from the ledger
    assert await month_total(db, "2026-05") == 7
    await asyncio.gather(*(ledger.record(db, row(10)) for _ in range(10)))
    next_month = NOW + timedelta(hours=2)
    await spending.settle(db, row(5, at=next_month), None)
    june = month_start(next_month)
    may_in_ledger = await ledger.tokens_since(db, "T1", month_start(NOW)) - await ledger.tokens_since(
        db, "T1", june
    )
    assert await month_total(db, "2026-05") == 107 == may_in_ledger
    assert await month_total(db, "2026-06") == 5
    # A workspace without ledger rows starts from zero.
    fresh = await spending.reserve(db, "T3", Estimate(1, 1), limit=10, now=NOW, ttl=TTL)
    assert fresh.spent == 0 and await month_total(db, "2026-05", team="T3") == 0

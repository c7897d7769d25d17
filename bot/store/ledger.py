"""The token ledger: one row per Messages API call, summed per workspace, with each workspace's
running total per month kept beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, literal, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.token_budget import month_key, month_start, next_month_start
from bot.store.db import Database
from bot.store.models import UsageMonth, UsageRecord

TOKENS = (
    UsageRecord.input_tokens
    + UsageRecord.output_tokens
    + UsageRecord.cache_creation_input_tokens
    + UsageRecord.cache_read_input_tokens
    + UsageRecord.tool_tokens
)
"""Every token of a call, as a budget counts them: input, output, cache writes and cache reads, and
its web searches at `WEB_SEARCH_BUDGET_TOKENS` each."""
_MONTHS: Table = UsageMonth.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class TeamUsage:
    team_id: str
    requests: int
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    web_search_requests: int = 0
    web_fetch_requests: int = 0
    thinking_tokens: int = 0
    """Of `output_tokens`."""

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
        )


async def record(db: Database, row: UsageRecord) -> None:
    async with db.session() as session:
        await add(db, session, row)
        await session.commit()


async def add(db: Database, session: AsyncSession, row: UsageRecord) -> None:
    """The row, and its tokens on its workspace's month, in the caller's transaction: the month's
    total can't drift from the ledger, whichever process writes."""
    session.add(row)
    tokens = (
        row.input_tokens
        + row.output_tokens
        + row.cache_creation_input_tokens
        + row.cache_read_input_tokens
        + row.tool_tokens
    )
    added = await session.execute(
        update(_MONTHS)
        .where(_MONTHS.c.team_id == row.team_id, _MONTHS.c.month == month_key(row.created_at))
        .values(tokens=_MONTHS.c.tokens + tokens)
    )
    if added.rowcount == 0:  # type: ignore[attr-defined]
        await session.flush()  # so the month's first total, summed from the ledger, includes this row
        first = _month_from_ledger(db, row.team_id, row.created_at)
        await session.execute(
            first.on_conflict_do_update(
                index_elements=["team_id", "month"], set_={"tokens": _MONTHS.c.tokens + tokens}
            )
        )


async def month_tokens_locked(db: Database, session: AsyncSession, team_id: str, now: datetime) -> int:
    """The workspace's tokens this month, with its month row locked until the caller's transaction
    ends (a row lock on PostgreSQL, SQLite's write lock), so that writers on any replica queue up."""
    lock = (
        update(_MONTHS)
        .where(_MONTHS.c.team_id == team_id, _MONTHS.c.month == month_key(now))
        .values(tokens=_MONTHS.c.tokens)
        .returning(_MONTHS.c.tokens)
    )
    tokens = (await session.execute(lock)).scalar_one_or_none()
    if tokens is None:
        await session.execute(_month_from_ledger(db, team_id, now).on_conflict_do_nothing())
        tokens = (await session.execute(lock)).scalar_one()
    return int(tokens)


def _month_from_ledger(db: Database, team_id: str, at: datetime) -> Any:
    """INSERT the month's row as the ledger has it: rows from before the totals existed count too."""
    total = select(literal(team_id), literal(month_key(at)), func.coalesce(func.sum(TOKENS), 0)).where(
        UsageRecord.team_id == team_id,
        col(UsageRecord.created_at) >= month_start(at),
        col(UsageRecord.created_at) < next_month_start(at),
    )
    return db.insert(_MONTHS).from_select(["team_id", "month", "tokens"], total)


async def usage_by_team(
    db: Database, *, since: datetime | None = None, team_id: str | None = None, user_id: str | None = None
) -> list[TeamUsage]:
    statement = select(
        UsageRecord.team_id,
        func.count(),
        func.coalesce(func.sum(UsageRecord.input_tokens), 0),
        func.coalesce(func.sum(UsageRecord.output_tokens), 0),
        func.coalesce(func.sum(UsageRecord.cache_creation_input_tokens), 0),
        func.coalesce(func.sum(UsageRecord.cache_read_input_tokens), 0),
        func.coalesce(func.sum(UsageRecord.web_search_requests), 0),
        func.coalesce(func.sum(UsageRecord.web_fetch_requests), 0),
        func.coalesce(func.sum(UsageRecord.thinking_tokens), 0),
    ).group_by(UsageRecord.team_id)
    if since is not None:
        statement = statement.where(col(UsageRecord.created_at) >= since)
    if team_id is not None:
        statement = statement.where(UsageRecord.team_id == team_id)
    if user_id is not None:
        statement = statement.where(UsageRecord.user_id == user_id)
    async with db.session() as session:
        rows = (await session.execute(statement.order_by(UsageRecord.team_id))).all()
    return [TeamUsage(str(r[0]), *(int(value) for value in r[1:])) for r in rows]


async def tokens_since(db: Database, team_id: str, since: datetime) -> int:
    """Every token the workspace's calls used from `since` on (a budget counts all four kinds).
    One range scan of `ix_usage_records_team_id_created_at`."""
    statement = select(func.coalesce(func.sum(TOKENS), 0)).where(
        UsageRecord.team_id == team_id, col(UsageRecord.created_at) >= since
    )
    async with db.session() as session:
        return int((await session.execute(statement)).scalar_one())

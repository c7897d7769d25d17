"""The token ledger: one row per Messages API call, summed per workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from bot.store.db import Database
from bot.store.models import UsageRecord


@dataclass(frozen=True)
class TeamUsage:
    team_id: str
    requests: int
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int

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
        session.add(row)
        await session.commit()


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
    ).group_by(UsageRecord.team_id)
    if since is not None:
        statement = statement.where(col(UsageRecord.created_at) >= since)
    if team_id is not None:
        statement = statement.where(UsageRecord.team_id == team_id)
    if user_id is not None:
        statement = statement.where(UsageRecord.user_id == user_id)
    async with db.session() as session:
        rows = (await session.execute(statement.order_by(UsageRecord.team_id))).all()
    return [TeamUsage(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]


async def tokens_since(db: Database, team_id: str, since: datetime) -> int:
    """Every token the workspace's calls used from `since` on (a budget counts all four kinds).
    One range scan of `ix_usage_records_team_id_created_at`: it runs before every turn."""
    total = (
        UsageRecord.input_tokens
        + UsageRecord.output_tokens
        + UsageRecord.cache_creation_input_tokens
        + UsageRecord.cache_read_input_tokens
    )
    statement = select(func.coalesce(func.sum(total), 0)).where(
        UsageRecord.team_id == team_id, col(UsageRecord.created_at) >= since
    )
    async with db.session() as session:
        return int((await session.execute(statement)).scalar_one())

"""A workspace's usage as the App Home shows it to admins: a handful of aggregate queries, each a
range scan of `ix_usage_records_team_id_created_at` (or the feedback table's team index), so the
tab stays quick to open however long the ledger grows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select

from bot.core.workspace_usage import Ranked, WorkspaceUsage
from bot.store.db import Database
from bot.store.ledger import tokens_since
from bot.store.models import Feedback, UsageRecord

TOP = 5
_TOTAL = (
    UsageRecord.input_tokens
    + UsageRecord.output_tokens
    + UsageRecord.cache_creation_input_tokens
    + UsageRecord.cache_read_input_tokens
)


async def workspace_usage(
    db: Database, team_id: str, *, since: date, month_start: datetime
) -> WorkspaceUsage:
    start = datetime(since.year, since.month, since.day, tzinfo=month_start.tzinfo)
    in_window = (UsageRecord.team_id == team_id, col(UsageRecord.created_at) >= start)
    day = _utc_day(db, col(UsageRecord.created_at))
    async with db.session() as session:
        daily = (await session.execute(select(day, func.sum(_TOTAL)).where(*in_window).group_by(day))).all()
        totals = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(UsageRecord.input_tokens), 0),
                    func.coalesce(func.sum(UsageRecord.output_tokens), 0),
                    func.coalesce(func.sum(UsageRecord.cache_creation_input_tokens), 0),
                    func.coalesce(func.sum(UsageRecord.cache_read_input_tokens), 0),
                    func.coalesce(func.sum(UsageRecord.web_search_requests), 0),
                    func.coalesce(func.sum(UsageRecord.web_fetch_requests), 0),
                    func.coalesce(func.sum(UsageRecord.thinking_tokens), 0),
                ).where(*in_window)
            )
        ).one()
        channels = await _top(session, col(UsageRecord.channel_id), in_window)
        with_user = (*in_window, col(UsageRecord.user_id).is_not(None))
        users = await _top(session, col(UsageRecord.user_id), with_user)
        up, down = (
            await session.execute(
                select(
                    func.coalesce(func.sum(case((col(Feedback.rating) > 0, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((col(Feedback.rating) < 0, 1), else_=0)), 0),
                ).where(Feedback.team_id == team_id, col(Feedback.created_at) >= start)
            )
        ).one()
    return WorkspaceUsage(
        since=since,
        daily={date.fromisoformat(str(d)[:10]): int(tokens) for d, tokens in daily},
        requests=int(totals[0]),
        input_tokens=int(totals[1]),
        output_tokens=int(totals[2]),
        cache_creation_input_tokens=int(totals[3]),
        cache_read_input_tokens=int(totals[4]),
        top_channels=channels,
        top_users=users,
        thumbs_up=int(up),
        thumbs_down=int(down),
        month_tokens=await tokens_since(db, team_id, month_start),
        web_search_requests=int(totals[5]),
        web_fetch_requests=int(totals[6]),
        thinking_tokens=int(totals[7]),
    )


async def _top(session: Any, column: Any, where: tuple[Any, ...]) -> list[Ranked]:
    tokens = func.sum(_TOTAL)
    statement = select(column, tokens).where(*where).group_by(column).order_by(tokens.desc(), column)
    statement = statement.limit(TOP)
    return [Ranked(str(key), int(total)) for key, total in (await session.execute(statement)).all()]


def _utc_day(db: Database, column: Any) -> Any:
    """The UTC calendar day of a timestamp. PostgreSQL would otherwise use the session's time zone;
    SQLite stores the UTC wall time as text, so its `date()` is already the UTC day."""
    if db.dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)

"""👍/👎 on answers, each tied to the answer's ledger row."""

from __future__ import annotations

from enum import Enum

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from bot.store.db import Database
from bot.store.models import Feedback, UsageRecord, utcnow


class Recorded(Enum):
    NEW = "new"
    CHANGED = "changed"
    SAME = "same"
    NO_ANSWER = "no_answer"
    """No ledger row names that answer (yet): its row is written just after the answer finishes."""


async def record(
    db: Database, *, team_id: str, channel_id: str, reply_ts: str, user_id: str, rating: int
) -> Recorded:
    """One rating per person and answer: a later press replaces the earlier one, in one statement,
    so two presses racing on two replicas leave one row."""
    async with db.session() as session:
        row_id = (
            await session.execute(
                select(UsageRecord.id)
                .where(
                    UsageRecord.team_id == team_id,
                    UsageRecord.channel_id == channel_id,
                    UsageRecord.reply_ts == reply_ts,
                )
                .order_by(col(UsageRecord.id).desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if row_id is None:
            return Recorded.NO_ANSWER
        before = await session.get(Feedback, (row_id, user_id))
        previous = None if before is None else before.rating
        insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        statement = insert(Feedback).values(
            usage_record_id=row_id, user_id=user_id, team_id=team_id, rating=rating, created_at=utcnow()
        )
        statement = statement.on_conflict_do_update(
            index_elements=["usage_record_id", "user_id"],
            set_={"rating": statement.excluded.rating, "created_at": statement.excluded.created_at},
        )
        await session.execute(statement)
        await session.commit()
    if previous is None:
        return Recorded.NEW
    return Recorded.SAME if previous == rating else Recorded.CHANGED

"""Which threads the bot is in, and which messages it has already taken on."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, delete

from bot.store.db import Database
from bot.store.models import BotThread, EventClaim, utcnow


async def join(db: Database, team_id: str, channel_id: str, thread_ts: str) -> None:
    """In the thread from now on; every turn renews it, so retention counts from the latest."""
    now = utcnow()
    await db.upsert(
        BotThread,
        keys=("team_id", "channel_id", "thread_ts"),
        refresh=("last_active_at",),
        team_id=team_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        created_at=now,
        last_active_at=now,
    )


async def is_member(db: Database, team_id: str, channel_id: str, thread_ts: str) -> bool:
    async with db.session() as session:
        return await session.get(BotThread, (team_id, channel_id, thread_ts)) is not None


async def claim(db: Database, event_key: str) -> bool:
    """True for the first caller with this key, in this process or any other on the same database."""
    return await db.insert_ignore(EventClaim, event_key=event_key, claimed_at=utcnow())


async def prune_claims(db: Database, older_than: timedelta) -> int:
    async with db.session() as session:
        result = await session.execute(
            delete(EventClaim).where(col(EventClaim.claimed_at) < utcnow() - older_than)
        )
        await session.commit()
        return int(result.rowcount or 0)

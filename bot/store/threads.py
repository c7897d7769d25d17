"""Which threads the bot is in, and which messages it has already taken on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table
from sqlmodel import col, delete

from bot.store.db import Database
from bot.store.models import BotThread, EventClaim, utcnow

_CLAIMS: Table = EventClaim.__table__  # type: ignore[assignment]
_THREADS: Table = BotThread.__table__  # type: ignore[assignment]
CLAIMS_PER_STATEMENT = 500
"""Rows per multi-row INSERT: far under either backend's limit on bound parameters."""


@dataclass(frozen=True)
class MessageClaim:
    """A message to answer, and the thread the answer joins the bot to."""

    event_key: str
    team_id: str
    channel_id: str
    thread_ts: str


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


async def claim_messages(db: Database, claims: Sequence[MessageClaim]) -> set[str]:
    """Claim messages and join the winners' threads in one transaction of two statements, however
    many there are; the keys this call won. The unique key decides, so of several processes
    claiming one message exactly one wins. Core statements: the ORM's bulk path costs a burst
    more CPU than the database does."""
    keys = list(dict.fromkeys(claim.event_key for claim in claims))
    now = utcnow()
    claimed = (
        db.insert(_CLAIMS)
        .values([{"event_key": key, "claimed_at": now} for key in keys])
        .on_conflict_do_nothing()
        .returning(_CLAIMS.c.event_key)
    )
    async with db.session() as session:
        won = set((await session.execute(claimed)).scalars())
        joined = {(c.team_id, c.channel_id, c.thread_ts) for c in claims if c.event_key in won}
        if joined:
            rows = [
                {"team_id": team, "channel_id": channel, "thread_ts": ts, "created_at": now}
                for team, channel, ts in joined
            ]
            await session.execute(db.insert(_THREADS).values(rows).on_conflict_do_nothing())
        await session.commit()
    return won


class MessageClaims:
    """Claims from concurrent events share transactions (group commit).

    In a burst every event needs its claim written before anyone sees "thinking…". One transaction
    each made SQLite, which has one writer at a time, queue them behind its busy handler's sleeps
    (≈ 0.5 s for 50 mentions); now whatever arrived while the last batch was being written goes
    in the next one, so a burst costs a few transactions and a lone event still goes at once.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: list[tuple[MessageClaim, asyncio.Future[bool]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def take(self, claim: MessageClaim) -> bool:
        """True for exactly one taker of a message, across events, batches and processes."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((claim, future))
        if self._writing is None:
            self._writing = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[:CLAIMS_PER_STATEMENT]
                del self._waiting[:CLAIMS_PER_STATEMENT]
                try:
                    won = await claim_messages(self._db, [claim for claim, _ in batch])
                except Exception as exc:  # each taker raises it, as its own write would have
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for claim, future in batch:
                    if not future.done():  # a taker cancelled meanwhile leaves its win to a duplicate
                        future.set_result(claim.event_key in won)
                        won.discard(claim.event_key)
        finally:
            self._writing = None


async def prune_claims(db: Database, older_than: timedelta) -> int:
    async with db.session() as session:
        result = await session.execute(
            delete(EventClaim).where(col(EventClaim.claimed_at) < utcnow() - older_than)
        )
        await session.commit()
        return int(result.rowcount or 0)

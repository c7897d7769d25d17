"""The database side of one answer at a time per thread across replicas (see `bot.flows.thread_lanes`).

Expiry is the database's clock, so replicas' clocks don't have to agree; a holder renews its
lane while it answers, and a lane whose holder died expires and can be taken over (its pending
message with it).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Table, delete, func, update

from bot.store.db import Database
from bot.store.models import ThreadLane

_LANES: Table = ThreadLane.__table__  # type: ignore[assignment]


async def take(db: Database, key: str, holder: str, ttl: float) -> bool:
    """True when this holder now has the thread's lane: it was free, or its holder's expired."""
    insert = db.insert(_LANES).values(
        thread_key=key, holder=holder, expires_at=func.now() + timedelta(seconds=ttl), pending=False
    )
    statement = insert.on_conflict_do_update(
        index_elements=["thread_key"],
        set_={"holder": insert.excluded.holder, "expires_at": insert.excluded.expires_at},
        where=_LANES.c.expires_at < func.now(),
    ).returning(_LANES.c.holder)
    async with db.engine.begin() as connection:
        return (await connection.execute(statement)).first() is not None


async def leave_pending(db: Database, key: str, user: str | None) -> bool:
    """Tell the holder another message waits; False when there is no holder any more."""
    statement = update(_LANES).where(_LANES.c.thread_key == key).values(pending=True, pending_user=user)
    async with db.engine.begin() as connection:
        return bool((await connection.execute(statement)).rowcount)


async def take_pending(db: Database, key: str, holder: str) -> tuple[bool, str | None]:
    """Whether a message waits (and whose), clearing it for the holder to answer."""
    statement = (
        update(_LANES)
        .where(_LANES.c.thread_key == key, _LANES.c.holder == holder, _LANES.c.pending.is_(True))
        .values(pending=False)
        .returning(_LANES.c.pending_user)
    )
    async with db.engine.begin() as connection:
        row = (await connection.execute(statement)).first()
    return (row is not None, row[0] if row is not None else None)


async def release(db: Database, key: str, holder: str) -> bool:
    """Give the lane up; False when a message arrived meanwhile (the holder answers it first)."""
    statement = delete(_LANES).where(
        _LANES.c.thread_key == key, _LANES.c.holder == holder, _LANES.c.pending.is_(False)
    )
    async with db.engine.begin() as connection:
        return bool((await connection.execute(statement)).rowcount)


async def renew(db: Database, key: str, holder: str, ttl: float) -> None:
    statement = (
        update(_LANES)
        .where(_LANES.c.thread_key == key, _LANES.c.holder == holder)
        .values(expires_at=func.now() + timedelta(seconds=ttl))
    )
    async with db.engine.begin() as connection:
        await connection.execute(statement)

"""Reserving a Claude call's tokens against its workspace's monthly budget before the call, and
settling with the ledger row after it.

Design: a reservation is a row holding its estimate, with an expiry. To reserve, one transaction
locks the workspace's `usage_months` row (an UPDATE: a row lock on PostgreSQL, the write lock on
SQLite), drops the workspace's expired reservations, sums the rest and inserts the new one if
`budget.admits` says so. Replicas queue on that lock, so they agree. Settling writes the ledger row,
adds it to the month's total and deletes the reservation in one transaction, so no reader ever
sees a call counted twice or not at all.

Why rows rather than a `reserved` counter beside `spent`: a counter can't tell which part of it
belonged to a turn that crashed, so it would hold that budget until someone repairs it; a row
simply stops counting when it expires. And why a locked month total rather than a sum of the
ledger: the total is kept in the ledger row's own transaction (`ledger.add`), so it costs one
row read under the lock, where a sum would scan the month's rows while every other reserver of
the workspace waits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, func, select

from bot.core.token_budget import Estimate, admits
from bot.store import ledger
from bot.store.db import Database
from bot.store.models import TokenReservation, UsageRecord

_RESERVATIONS: Table = TokenReservation.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Reserved:
    id: str | None
    """The reservation to settle; None when the budget refused it."""
    spent: int
    """The workspace's tokens this month, as the ledger has them."""
    reserved: int
    """Tokens held by other calls in flight."""


async def reserve(
    db: Database, team_id: str, estimate: Estimate, *, limit: int, now: datetime, ttl: timedelta
) -> Reserved:
    async with db.session() as session:
        spent = await ledger.month_tokens_locked(db, session, team_id, now)
        await session.execute(
            delete(_RESERVATIONS).where(_RESERVATIONS.c.team_id == team_id, _RESERVATIONS.c.expires_at <= now)
        )
        held = select(func.coalesce(func.sum(_RESERVATIONS.c.tokens), 0)).where(
            _RESERVATIONS.c.team_id == team_id
        )
        reserved = int((await session.execute(held)).scalar_one())
        if not admits(estimate, spent=spent, reserved=reserved, limit=limit):
            await session.commit()
            return Reserved(None, spent, reserved)
        reservation = uuid.uuid4().hex
        await session.execute(
            _RESERVATIONS.insert().values(
                id=reservation, team_id=team_id, tokens=estimate.tokens, created_at=now, expires_at=now + ttl
            )
        )
        await session.commit()
    return Reserved(reservation, spent, reserved)


async def settle(db: Database, row: UsageRecord, reservation: str | None) -> None:
    """The ledger row in place of the reservation (if any): what the call really spent."""
    async with db.session() as session:
        await ledger.add(db, session, row)
        if reservation is not None:
            await session.execute(delete(_RESERVATIONS).where(_RESERVATIONS.c.id == reservation))
        await session.commit()

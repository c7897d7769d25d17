"""Slack calls leased from the database, so every replica's calls count against one limit.

One round trip per lease (the `bot_take_slack_calls` function, created by migration 0006), not
per call: a replica leases as many calls as it has callers waiting, uses them at once, and each
lease counts against its scope until a window after the last moment its calls may be made.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from bot.store.db import Database

TAKE = text(
    "SELECT granted, used, reserved, retry_in, reserve_kept FROM bot_take_slack_calls("
    ":scope, :replica, :want, :limit, :window, :use_within, :progress, :keep, :reserve)"
)


@dataclass(frozen=True)
class Taken:
    granted: int
    """Calls this replica may make now (within `use_within` seconds)."""
    used: int
    """Calls every replica has in this scope's window, these included."""
    reserved: int
    """Calls every replica keeps for final texts."""
    retry_in: float
    """Seconds until the oldest lease leaves the window."""
    reserve_kept: int
    """This replica's reserve now: what it asked for, unless that grew into room others hold."""


async def take(
    db: Database,
    *,
    scope: str,
    replica: str,
    want: int,
    limit: int,
    window: float,
    use_within: float,
    progress: bool,
    keep: int,
    reserve: int,
) -> Taken:
    """Lease up to `want` calls (0: only look) and set this replica's `reserve` (a growth is kept
    only when the scope has room for it). Progress leases leave every replica's reserve and `keep`
    more free."""
    async with db.engine.begin() as connection:
        row = (
            await connection.execute(
                TAKE,
                {
                    "scope": scope,
                    "replica": replica,
                    "want": want,
                    "limit": limit,
                    "window": window,
                    "use_within": use_within,
                    "progress": progress,
                    "keep": keep,
                    "reserve": reserve,
                },
            )
        ).one()
    return Taken(
        int(row.granted), int(row.used), int(row.reserved), float(row.retry_in), int(row.reserve_kept)
    )

"""Feature settings (`/claude tools`, `/claude thinking`) per channel and workspace: one indexed
read for a turn, an upsert per change."""

from __future__ import annotations

from sqlmodel import col, select

from bot.core.features import WORKSPACE, Choice, Features, layer
from bot.store.db import Database
from bot.store.models import FeatureSetting, utcnow


async def for_channel(db: Database, team_id: str, channel_id: str) -> Features:
    """The channel's features with its workspace's beneath: one primary-key range read."""
    statement = select(FeatureSetting).where(
        FeatureSetting.team_id == team_id, col(FeatureSetting.scope).in_([channel_id, WORKSPACE])
    )
    async with db.session() as session:
        rows = (await session.execute(statement)).scalars().all()
    return layer((Choice(r.scope, r.feature, r.enabled, r.max_uses) for r in rows), channel_id)


async def choose(
    db: Database,
    team_id: str,
    scope: str,
    feature: str,
    *,
    set_by: str,
    enabled: bool | None = None,
    max_uses: int | None = None,
    reset: bool = False,
) -> bool:
    """Turn a feature on or off (or with `reset`, back to the next layer) in a scope, or set its
    limit; False when that changed nothing."""
    async with db.session() as session:
        row = await session.get(FeatureSetting, (team_id, scope, feature))
        if row is None:
            if reset:
                return False
            row = FeatureSetting(team_id=team_id, scope=scope, feature=feature, set_by=set_by)
        before = (row.enabled, row.max_uses)
        if reset:
            row.enabled = None
        elif enabled is not None:
            row.enabled = enabled
        if max_uses is not None:
            row.max_uses = max_uses
        if (row.enabled, row.max_uses) == before:
            return False
        row.set_by, row.set_at = set_by, utcnow()
        if row.enabled is None and row.max_uses is None:
            await session.delete(row)
        else:
            session.add(row)
        await session.commit()
        return True

"""What admins and channels chose in Slack: workspace settings and channel models, and the one
read a turn makes of everything it needs from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select

from bot.store.db import Database
from bot.store.models import ChannelModel, ChannelPrompt, WorkspaceSettings, utcnow


@dataclass(frozen=True)
class TurnSettings:
    """A channel's stored choices and its workspace's, as one turn needs them."""

    channel_prompt: str | None = None
    channel_model: str | None = None
    workspace_prompt: str | None = None
    workspace_model: str | None = None
    monthly_token_budget: int | None = None
    budget_warned_month: str | None = None


async def for_turn(db: Database, team_id: str, channel_id: str) -> TurnSettings:
    """One round trip: a statement of primary-key lookups, each NULL where nothing is stored."""

    def channel(column: Any, table: Any) -> Any:
        return (
            select(column).where(table.team_id == team_id, table.channel_id == channel_id).scalar_subquery()
        )

    def workspace(column: Any) -> Any:
        return select(column).where(WorkspaceSettings.team_id == team_id).scalar_subquery()

    statement = select(
        channel(ChannelPrompt.prompt, ChannelPrompt),
        channel(ChannelModel.model, ChannelModel),
        workspace(WorkspaceSettings.prompt),
        workspace(WorkspaceSettings.model),
        workspace(WorkspaceSettings.monthly_token_budget),
        workspace(WorkspaceSettings.budget_warned_month),
    )
    async with db.session() as session:
        row = (await session.execute(statement)).one()
    return TurnSettings(*row)


async def workspace(db: Database, team_id: str) -> WorkspaceSettings:
    """The workspace's settings; the defaults (unsaved) when it never changed any."""
    async with db.session() as session:
        return await session.get(WorkspaceSettings, team_id) or WorkspaceSettings(team_id=team_id)


async def ensure_workspace(db: Database, team_id: str, enterprise_id: str | None) -> None:
    """Create the workspace's row unless it exists; the database settles a race between replicas."""
    await db.insert_ignore(WorkspaceSettings, team_id=team_id, enterprise_id=enterprise_id)


async def update_workspace(
    db: Database, team_id: str, *, enterprise_id: str | None, updated_by: str, **changes: Any
) -> None:
    await ensure_workspace(db, team_id, enterprise_id)
    async with db.session() as session:
        row = await session.get_one(WorkspaceSettings, team_id)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_by, row.updated_at = updated_by, utcnow()
        session.add(row)
        await session.commit()


async def claim_budget_warning(db: Database, team_id: str, month: str) -> bool:
    """True for exactly one caller per workspace and month, across every replica: the 80 % DMs
    go out once. One conditional UPDATE decides; its row count says who won."""
    await ensure_workspace(db, team_id, None)
    statement = (
        update(WorkspaceSettings)
        .where(col(WorkspaceSettings.team_id) == team_id)
        .where(
            or_(
                col(WorkspaceSettings.budget_warned_month).is_(None),
                col(WorkspaceSettings.budget_warned_month) != month,
            )
        )
        .values(budget_warned_month=month)
    )
    async with db.session() as session:
        result = await session.execute(statement)
        await session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


async def channel_model(db: Database, team_id: str, channel_id: str) -> ChannelModel | None:
    async with db.session() as session:
        return await session.get(ChannelModel, (team_id, channel_id))


async def set_channel_model(db: Database, team_id: str, channel_id: str, *, model: str, set_by: str) -> None:
    async with db.session() as session:
        row = await session.get(ChannelModel, (team_id, channel_id))
        if row is None:
            row = ChannelModel(team_id=team_id, channel_id=channel_id, model=model, set_by=set_by)
        row.model, row.set_by, row.set_at = model, set_by, utcnow()
        session.add(row)
        await session.commit()


async def reset_channel_model(db: Database, team_id: str, channel_id: str) -> bool:
    async with db.session() as session:
        row = await session.get(ChannelModel, (team_id, channel_id))
        if row is None:
            return False
        await session.delete(row)
        await session.commit()
        return True

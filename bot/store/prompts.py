"""System prompts set with `/claude prompt`: a channel's own and the workspace's, and the record
of every change to either (who, when, old → new) for `/claude prompt history`."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.store.db import Database
from bot.store.models import ChannelPrompt, PromptChange, WorkspaceSettings, utcnow
from bot.store.workspace_settings import ensure_workspace


async def get(db: Database, team_id: str, channel_id: str) -> ChannelPrompt | None:
    async with db.session() as session:
        return await session.get(ChannelPrompt, (team_id, channel_id))


async def put(
    db: Database, *, team_id: str, channel_id: str, prompt: str, set_by: str, enterprise_id: str | None
) -> None:
    async with db.session() as session:
        row = await session.get(ChannelPrompt, (team_id, channel_id))
        old = row.prompt if row else None
        if row is None:
            row = ChannelPrompt(team_id=team_id, channel_id=channel_id, prompt=prompt, set_by=set_by)
        row.prompt, row.set_by, row.set_at, row.enterprise_id = prompt, set_by, utcnow(), enterprise_id
        session.add(row)
        _record(session, team_id, channel_id, old, prompt, set_by)
        await session.commit()


async def delete(db: Database, team_id: str, channel_id: str, *, changed_by: str) -> bool:
    async with db.session() as session:
        row = await session.get(ChannelPrompt, (team_id, channel_id))
        if row is None:
            return False
        await session.delete(row)
        _record(session, team_id, channel_id, row.prompt, None, changed_by)
        await session.commit()
        return True


async def set_workspace(
    db: Database, *, team_id: str, prompt: str | None, changed_by: str, enterprise_id: str | None
) -> bool:
    """Set (or with None, remove) the workspace-wide prompt; False when that changed nothing."""
    await ensure_workspace(db, team_id, enterprise_id)
    async with db.session() as session:
        row = await session.get_one(WorkspaceSettings, team_id)
        old = row.prompt
        if old == prompt:
            return False
        row.prompt, row.updated_by, row.updated_at = prompt, changed_by, utcnow()
        session.add(row)
        _record(session, team_id, None, old, prompt, changed_by)
        await session.commit()
        return True


async def history(db: Database, team_id: str, channel_id: str, *, limit: int = 10) -> list[PromptChange]:
    """The latest changes to this channel's prompt and to the workspace's, newest first."""
    statement = (
        select(PromptChange)
        .where(PromptChange.team_id == team_id)
        .where(or_(col(PromptChange.channel_id) == channel_id, col(PromptChange.channel_id).is_(None)))
        .order_by(col(PromptChange.changed_at).desc(), col(PromptChange.id).desc())
        .limit(limit)
    )
    async with db.session() as session:
        return list((await session.execute(statement)).scalars())


def _record(
    session: AsyncSession, team_id: str, channel_id: str | None, old: str | None, new: str | None, by: str
) -> None:
    """In the same transaction as the change itself, so history and state can't disagree."""
    if old != new:
        session.add(
            PromptChange(
                team_id=team_id, channel_id=channel_id, old_prompt=old, new_prompt=new, changed_by=by
            )
        )

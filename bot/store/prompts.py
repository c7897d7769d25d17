"""Channel system prompts set with `/claude prompt`."""

from __future__ import annotations

from bot.store.db import Database
from bot.store.models import ChannelPrompt, utcnow


async def get(db: Database, team_id: str, channel_id: str) -> ChannelPrompt | None:
    async with db.session() as session:
        return await session.get(ChannelPrompt, (team_id, channel_id))


async def put(
    db: Database, *, team_id: str, channel_id: str, prompt: str, set_by: str, enterprise_id: str | None
) -> None:
    async with db.session() as session:
        row = await session.get(ChannelPrompt, (team_id, channel_id))
        if row is None:
            row = ChannelPrompt(team_id=team_id, channel_id=channel_id, prompt=prompt, set_by=set_by)
        row.prompt, row.set_by, row.set_at, row.enterprise_id = prompt, set_by, utcnow(), enterprise_id
        session.add(row)
        await session.commit()


async def delete(db: Database, team_id: str, channel_id: str) -> bool:
    async with db.session() as session:
        row = await session.get(ChannelPrompt, (team_id, channel_id))
        if row is None:
            return False
        await session.delete(row)
        await session.commit()
        return True

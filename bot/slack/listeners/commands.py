"""`/claude`: every answer is ephemeral (the `ack` text), so only the person asking sees it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot import commands
from bot.services import Services
from bot.store import ledger, prompts
from bot.store.models import utcnow


def register(app: AsyncApp, services: Services) -> None:
    async def on_claude(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack(text=await answer(services, commands.parse(command.get("text") or ""), command, context))

    app.command("/claude")(on_claude)


async def answer(
    services: Services, command: commands.Command, payload: dict[str, Any], context: AsyncBoltContext
) -> str:
    db = services.db
    team_id = str(context.team_id or payload.get("team_id"))
    channel_id = str(payload.get("channel_id"))
    if command.kind == "prompt_show":
        current = await prompts.get(db, team_id, channel_id)
        if current is None:
            return "This channel has no prompt of its own. Set one with `/claude prompt <text>`."
        return (
            f"This channel's prompt (set by <@{current.set_by}> on {current.set_at:%Y-%m-%d %H:%M} UTC):\n"
            f">>> {current.prompt}"
        )
    if command.kind == "prompt_set":
        if len(command.text) > commands.MAX_PROMPT_CHARS:
            return (
                f"That prompt is {len(command.text):,} characters; the limit is "
                f"{commands.MAX_PROMPT_CHARS:,}. Please shorten it."
            )
        await prompts.put(
            db,
            team_id=team_id,
            channel_id=channel_id,
            prompt=command.text,
            set_by=str(payload.get("user_id")),
            enterprise_id=context.enterprise_id,
        )
        return f"Done. From the next message on, I follow this prompt in this channel:\n>>> {command.text}"
    if command.kind == "prompt_reset":
        if await prompts.delete(db, team_id, channel_id):
            return "Done. This channel's prompt is removed; I'm back to the default."
        return "This channel had no prompt of its own; nothing to reset."
    if command.kind == "usage":
        return await _usage_text(services, team_id)
    return commands.HELP


async def _usage_text(services: Services, team_id: str) -> str:
    lines = ["*Claude usage in this workspace*", "```", f"{'period':<10}{'requests':>10}{'tokens':>14}"]
    now = utcnow()
    for label, days in (("today", 0), ("7 days", 6), ("30 days", 29)):
        since = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days)
        rows = await ledger.usage_by_team(services.db, since=since, team_id=team_id)
        requests = sum(row.requests for row in rows)
        tokens = sum(row.total_tokens for row in rows)
        lines.append(f"{label:<10}{requests:>10,}{tokens:>14,}")
    lines.append("```")
    return "\n".join(lines)

"""What starts a turn: the thread, who asked, and what Slack sent with the question."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bot.core.routing import Thread


@dataclass(frozen=True)
class TurnRequest:
    thread: Thread
    enterprise_id: str | None
    user_id: str | None
    trigger: dict[str, Any] | None
    """The message that started the turn, in case Slack's history doesn't have it yet."""
    thinking: asyncio.Task[bool] | None = None
    """The "is thinking…" status already sent for a new thread (see `intake`); True once Slack took
    it, so the turn doesn't send it again."""
    context: tuple[str, ...] = ()
    """Text the question carries beyond its own words (a channel summary's messages or notes),
    given to Claude after it."""
    action_token: str | None = None
    """Slack's `action_token` from the message event that started the turn, which lets a Slack
    search run as the asker; None for anything else (a slash command, a shortcut, a button)."""

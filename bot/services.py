"""What listeners and turns share for the life of the process."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.claude.client import Claude
from bot.config import Settings
from bot.files import FileCache
from bot.lanes import StopSignal, ThreadLanes
from bot.slack.ratebudget import Budgets
from bot.slack.reply import NativeSupport
from bot.slack.roles import Roles
from bot.slack.users import UserDirectory
from bot.store import Database

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    claude: Claude
    users: UserDirectory
    budgets: Budgets
    native: NativeSupport
    http: aiohttp.ClientSession
    """For file downloads (Slack's file hosts only)."""
    files: FileCache
    stops: dict[str, StopSignal] = field(default_factory=dict)
    """Replies being written in this process, by the value of their Stop button."""
    lanes: ThreadLanes[Any] = field(default_factory=ThreadLanes)
    roles: Roles = field(default_factory=Roles)
    """Who is a workspace admin or owner, for `/claude`'s workspace-wide settings."""

    async def drain(self, grace: float) -> None:
        """Let replies in flight finish within `grace`, then end the rest with an "interrupted" note."""
        running = set(self.lanes.running)
        if running:
            log.info("waiting up to %.0fs for %d replies in flight", grace, len(running))
            _, pending = await asyncio.wait(running, timeout=grace)
            for signal in list(self.stops.values()):
                signal.set("interrupted")
            if pending:
                await asyncio.wait(pending, timeout=15)

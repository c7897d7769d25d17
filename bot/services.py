"""What listeners and turns share for the life of the process."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import anthropic

from bot.config import Settings
from bot.files import FileCache
from bot.lanes import ThreadLanes
from bot.slack.home_chart import ChartFiles
from bot.slack.rate_limits import SlackRateLimits
from bot.slack.reply import NativeSupport
from bot.slack.roles import Roles
from bot.slack.users import UserDirectory
from bot.stops import Stops
from bot.store import Database

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    claude: anthropic.AsyncAnthropic
    users: UserDirectory
    rate_limits: SlackRateLimits
    native: NativeSupport
    http: aiohttp.ClientSession
    """For file downloads (Slack's file hosts only)."""
    files: FileCache
    stops: Stops = field(default_factory=Stops)
    """Replies being written in this process, by the value of their Stop button."""
    lanes: ThreadLanes[Any] = field(default_factory=ThreadLanes)
    roles: Roles = field(init=False)
    """Who is a workspace admin or owner, for `/claude`'s workspace-wide settings."""
    charts: ChartFiles = field(default_factory=ChartFiles)
    """The App Home's usage chart per workspace, uploaded once while it is current."""

    def __post_init__(self) -> None:
        self.roles = Roles(self.users)

    async def drain(self, grace: float) -> None:
        """Let replies in flight finish within `grace`, then end the rest with an "interrupted" note."""
        running = set(self.lanes.running)
        if running:
            log.info("waiting up to %.0fs for %d replies in flight", grace, len(running))
            _, pending = await asyncio.wait(running, timeout=grace)
            self.stops.interrupt_all()
            if pending:
                await asyncio.wait(pending, timeout=15)

"""What listeners and turns share for the life of the process."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.claude.client import Claude
from bot.files import FileCache
from bot.flows.admission import Admission, Caps
from bot.flows.backlog import Backlog
from bot.flows.stops import Stops
from bot.flows.thread_lanes import Lanes, ThreadLanes
from bot.process.config import Settings
from bot.slack.home_chart import ChartFiles
from bot.slack.rate_limits import SlackRateLimits
from bot.slack.reply import NativeSupport
from bot.slack.roles import Roles
from bot.slack.users import UserDirectory
from bot.store import Database
from bot.store.threads import MessageClaims

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    claude: Claude
    users: UserDirectory
    rate_limits: SlackRateLimits
    native: NativeSupport
    http: aiohttp.ClientSession
    """For file downloads (Slack's file hosts only)."""
    files: FileCache
    stops: Stops = field(default_factory=Stops)
    """Replies being written in this process, by the value of their Stop button."""
    lanes: Lanes[Any] = field(default_factory=ThreadLanes)
    roles: Roles = field(init=False)
    """Who is a workspace admin or owner, for `/claude`'s workspace-wide settings."""
    charts: ChartFiles = field(default_factory=ChartFiles)
    """The App Home's usage chart per workspace, uploaded once while it is current."""
    claims: MessageClaims = field(init=False)
    admission: Admission = field(init=False)
    """Turns running at once, per person and per process, and the queue behind them."""

    backlog: Backlog = field(init=False)
    """Messages and ledger rows held while the database is out of reach."""

    def __post_init__(self) -> None:
        self.roles = Roles(self.users)
        self.backlog = Backlog(self.db)
        self.claims = MessageClaims(self.db)
        settings = self.settings
        self.admission = Admission(
            Caps(
                per_user=settings.max_replies_per_user,
                in_flight=settings.max_turns_in_flight,
                queued_per_user=settings.max_queued_per_user,
                queued=settings.max_queued_turns,
            )
        )

    async def drain(self, grace: float) -> None:
        """Start nothing new: queued turns are told at once (their events were acknowledged, so Slack
        won't redeliver them). Let replies in flight finish within `grace`, then end the rest with an
        "interrupted" note."""
        self.admission.close()
        running = set(self.lanes.running)
        if running:
            log.info("waiting up to %.0fs for %d replies in flight", grace, len(running))
            _, pending = await asyncio.wait(running, timeout=grace)
            self.stops.interrupt_all()
            if pending:
                await asyncio.wait(pending, timeout=15)
        await self.backlog.close()

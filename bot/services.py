"""What listeners and turns share for the life of the process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import anthropic

from bot.config import Settings
from bot.slack.ratebudget import Budgets
from bot.slack.reply import NativeSupport
from bot.slack.users import UserDirectory
from bot.store import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    claude: anthropic.AsyncAnthropic
    users: UserDirectory
    budgets: Budgets
    native: NativeSupport
    stops: dict[str, asyncio.Event] = field(default_factory=dict)
    """Replies being written in this process, by the value of their Stop button."""

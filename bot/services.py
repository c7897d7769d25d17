"""What listeners and turns share for the life of the process."""

from __future__ import annotations

from dataclasses import dataclass

import anthropic

from bot.config import Settings
from bot.slack.users import UserDirectory
from bot.store import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    claude: anthropic.AsyncAnthropic
    users: UserDirectory

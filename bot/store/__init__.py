"""The bot's database: settings, usage and bookkeeping, never message text."""

from bot.store.db import Database, DatabaseUnavailable

__all__ = ["Database", "DatabaseUnavailable"]

"""What every replica tidies now and then: event claims, unfinished OAuth installs, and what the
retention settings say is old enough to forget.

One replica at a time (`Database.exclusive`), in short batches (`bot.store.retention`): another
replica that waited finds nothing left and the bot's own writes never queue behind a long delete.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.process.config import Settings
from bot.store import Database, threads
from bot.store.retention import RetentionPolicy, prune_expired_oauth_states, prune_old_rows

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 600.0
CLAIM_RETENTION = timedelta(days=1)
"""Event claims only need to outlive Slack's retries (minutes)."""


def retention_policy(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        usage_days=settings.usage_retention_days,
        thread_days=settings.thread_retention_days,
        prompt_history_days=settings.prompt_history_retention_days,
    )


async def tidy(db: Database, settings: Settings) -> dict[str, int]:
    """Rows deleted per table."""
    async with db.exclusive("housekeeping"):
        removed = {
            "event_claims": await threads.prune_claims(db, older_than=CLAIM_RETENTION),
            "slack_oauth_states": await prune_expired_oauth_states(db),
        }
        removed.update(await prune_old_rows(db, retention_policy(settings)))
    return removed


async def housekeeping_forever(db: Database, settings: Settings) -> None:
    while True:
        try:
            removed = await tidy(db, settings)
        except SQLAlchemyError:
            log.exception("housekeeping failed")
        else:
            if any(removed.values()):
                log.info("housekeeping removed %s", ", ".join(f"{n} {t}" for t, n in removed.items() if n))
        await asyncio.sleep(HOUSEKEEPING_SECONDS)

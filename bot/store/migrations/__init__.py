"""Alembic migrations, run in-process on the bot's own connection: no alembic.ini, no `alembic` CLI.

Revisions are written by hand (copy the newest file in `versions/`, number it next, point
`down_revision` at the one it follows) and never import `bot.store.models`: each keeps
building the schema as it was when it was written, whatever the models say later. A test
checks that the last revision and the models agree.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

DIRECTORY = Path(__file__).parent

BASELINE = "0001"
BASELINE_TABLES = frozenset({"usage_records", "channel_prompts", "bot_threads", "event_claims"})
"""What `SQLModel.metadata.create_all` made before there were migrations: revision 0001 exactly."""


def config(connection: Connection) -> Config:
    """An Alembic config whose env.py runs on `connection`, inside the caller's transaction."""
    cfg = Config()
    cfg.set_main_option("script_location", str(DIRECTORY).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str | None:
    return ScriptDirectory(str(DIRECTORY)).get_current_head()


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> str | None:
    """Bring the schema to head and return the revision reached; commit is the caller's.

    A database made by the bot before migrations existed has the baseline tables and no
    `alembic_version`: it is stamped as the baseline, then upgraded like any other.
    """
    _one_at_a_time(connection)
    cfg = config(connection)
    if current(connection) is None:
        present = BASELINE_TABLES & set(inspect(connection).get_table_names())
        if present == BASELINE_TABLES:
            command.stamp(cfg, BASELINE)
        elif present:
            raise RuntimeError(
                f"the database has some of the bot's tables ({', '.join(sorted(present))}) but no "
                "alembic_version table; it was not made by this bot, or only partly: repair it by hand"
            )
    command.upgrade(cfg, "head")
    return current(connection)


def _one_at_a_time(connection: Connection) -> None:
    """Machines starting together after a deploy all upgrade at once: the first one migrates,
    the others wait for its commit and then find nothing to do.

    PostgreSQL: a transaction-scoped advisory lock per schema (DDL is transactional there).
    SQLite: take the write lock now; Python's sqlite3 would otherwise run each DDL statement
    outside any transaction, so a failed migration would leave half a schema behind.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtext('bot.store.migrations'), "
                "hashtext(coalesce(current_schema(), '')))"
            )
        )
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")

"""Schema migrations on both backends: existing data survives, reruns are no-ops, a database from
before migrations is adopted, and the migrated schema is exactly what the code expects."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Connection, MetaData, Text, inspect, make_url, text
from sqlmodel import SQLModel

from bot.slack.encrypted_installations import TOKEN_COLUMNS
from bot.store import Database, ledger, migrations, prompts, threads
from tests.conftest import fresh_database

HEAD = "0009"
NEW_TABLES = {
    "slack_installations",
    "slack_bots",
    "slack_oauth_states",
    "workspace_settings",
    "channel_models",
    "prompt_changes",
    "feedback",
    "slack_call_leases",
    "slack_call_reserves",
    "usage_months",
    "token_reservations",
    "thread_lanes",
    "feature_settings",
}
LEDGER_INDEX = "ix_usage_records_team_id_created_at"
TABLES_IN_SCHEMA = text(
    "SELECT count(*) FROM information_schema.tables WHERE table_schema = :schema "
    "AND table_name IN ('alembic_version', 'usage_records', 'slack_installations')"
)
CONFIG_VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "ANTHROPIC_API_KEY",
    "DATABASE_URL",
)


def timestamp(dialect: str) -> str:
    """2026-01-02 03:04:05 UTC as each backend stores it (SQLAlchemy's SQLite format; timestamptz)."""
    return "2026-01-02 03:04:05.000000" if dialect == "sqlite" else "2026-01-02 03:04:05+00"


async def insert_one_row_per_table(db: Database) -> None:
    """Plain SQL, so the rows are what an older bot wrote, not what today's models would."""
    at = timestamp(db.dialect)
    statements = [
        "INSERT INTO usage_records (created_at, team_id, enterprise_id, channel_id, thread_ts, user_id, "
        "model, input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, "
        "stop_reason, request_id, ttft_ms, duration_ms, error_kind) VALUES "
        f"('{at}', 'T1', NULL, 'C1', '1.1', 'U1', 'claude-x', 10, 20, 30, 40, 'end_turn', 'r1', 5, 9, NULL)",
        "INSERT INTO channel_prompts (team_id, channel_id, enterprise_id, prompt, set_by, set_at) "
        f"VALUES ('T1', 'C1', NULL, 'Answer in French.', 'U1', '{at}')",
        "INSERT INTO bot_threads (team_id, channel_id, thread_ts, created_at) "
        f"VALUES ('T1', 'C1', '1.1', '{at}')",
        f"INSERT INTO event_claims (event_key, claimed_at) VALUES ('T1:C1:1.1', '{at}')",
    ]
    async with db.engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


async def assert_rows_intact(db: Database) -> None:
    """Read back through the bot's own queries: the data must still mean the same thing."""
    [usage] = await ledger.usage_by_team(db)
    assert (usage.team_id, usage.requests, usage.total_tokens) == ("T1", 1, 100)
    assert await ledger.usage_by_team(db, since=datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC)) == []
    prompt = await prompts.get(db, "T1", "C1")
    assert prompt is not None and prompt.prompt == "Answer in French." and prompt.set_by == "U1"
    assert prompt.set_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert await threads.is_member(db, "T1", "C1", "1.1")
    assert not await threads.claim(db, "T1:C1:1.1"), "the claim must survive, or Slack retries get answered"


def schema(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    return {
        name: (
            [
                (column["name"], str(column["type"]), column["nullable"])
                for column in inspector.get_columns(name)
            ],
            sorted((index["name"], tuple(index["column_names"])) for index in inspector.get_indexes(name)),
        )
        for name in sorted(inspector.get_table_names())
    }


def expected_metadata() -> MetaData:
    """What the code works with: the models, and slack_sdk's store tables as the installed slack_sdk
    builds them (so upgrading slack_sdk past a change to its tables fails here: write a migration)."""
    metadata = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(metadata)
    SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
    for table, columns in TOKEN_COLUMNS.items():  # widened for ciphertext (revision 0005)
        for column in columns:
            metadata.tables[table].c[column].type = Text()
    return metadata


async def run_cli(*args: str, database_url: str, cwd: Path) -> tuple[int, str, str]:
    env = {key: value for key, value in os.environ.items() if key not in CONFIG_VARS}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env={**env, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_upgrading_from_the_first_revision_keeps_every_row(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync: command.upgrade(migrations.config(sync), "0001"))
        await insert_one_row_per_table(db)

        assert await db.upgrade() == HEAD
        await assert_rows_intact(db)
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            indexes = await conn.run_sync(lambda sync: inspect(sync).get_indexes("usage_records"))
        assert tables >= NEW_TABLES
        assert {"name": LEDGER_INDEX, "column_names": ["team_id", "created_at"]}.items() <= next(
            index for index in indexes if index["name"] == LEDGER_INDEX
        ).items()
    finally:
        await db.close()


async def test_upgrade_twice_changes_nothing(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert await db.upgrade() == HEAD
        async with db.engine.connect() as conn:
            before = await conn.run_sync(schema)
        await insert_one_row_per_table(db)

        assert await db.upgrade() == HEAD
        async with db.engine.connect() as conn:
            assert await conn.run_sync(schema) == before
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        assert versions == [HEAD]
        await assert_rows_intact(db)
    finally:
        await db.close()


async def test_a_database_from_before_migrations_is_adopted(database_url: str) -> None:
    """The old start-up ran `SQLModel.metadata.create_all`: same tables as 0001, no alembic_version.
    Upgrading stamps it as 0001 (nothing recreated, nothing lost) and carries on to head."""
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync: command.upgrade(migrations.config(sync), "0001"))
            await conn.execute(text("DROP TABLE alembic_version"))
        await insert_one_row_per_table(db)

        assert await db.upgrade() == HEAD
        await assert_rows_intact(db)
        assert await db.has_table("slack_installations")
    finally:
        await db.close()


async def test_a_half_made_schema_without_a_version_is_refused(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.tables["usage_records"].create)
        with pytest.raises(RuntimeError, match="usage_records"):
            await db.upgrade()
        assert not await db.has_table("channel_prompts"), "a refused upgrade must not change anything"
    finally:
        await db.close()


async def test_machines_starting_together_upgrade_once(database_url: str) -> None:
    databases = [Database(database_url) for _ in range(3)]
    try:
        assert await asyncio.gather(*(db.upgrade() for db in databases)) == [HEAD] * 3
        async with databases[0].engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        assert versions == [HEAD]
    finally:
        for db in databases:
            await db.close()


async def test_the_migrated_schema_is_what_the_code_expects(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.upgrade()
        async with db.engine.connect() as conn:
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), expected_metadata())
            )
        assert differences == [], "models.py or slack_sdk changed: write the next migration"
    finally:
        await db.close()


async def test_downgrading_to_the_first_revision_and_back(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.upgrade()
        await insert_one_row_per_table(db)
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync: command.downgrade(migrations.config(sync), "0001"))
        assert not await db.has_table("slack_installations")
        assert await db.upgrade() == HEAD
        await assert_rows_intact(db)
    finally:
        await db.close()


async def test_alembic_version_lives_in_the_url_schema(tmp_path: Path) -> None:
    """Several deployments (or test runs) share one PostgreSQL database through `?search_path=`."""
    async with fresh_database("postgresql", tmp_path) as url:
        db = Database(url)
        try:
            await db.upgrade()
            async with db.engine.connect() as conn:
                found = await conn.execute(TABLES_IN_SCHEMA, {"schema": make_url(url).query["search_path"]})
                assert found.scalar_one() == 3
        finally:
            await db.close()


async def test_hosted_postgres_urls_are_accepted(tmp_path: Path) -> None:
    """`fly postgres attach` sets DATABASE_URL to `postgres://…?sslmode=disable`."""
    async with fresh_database("postgresql", tmp_path) as url:
        hosted = url.replace("postgresql+asyncpg://", "postgres://", 1) + "&sslmode=disable"
        db = Database(hosted)
        try:
            assert db.engine.url.drivername == "postgresql+asyncpg"
            assert db.engine.url.query == {"ssl": "disable"}
            assert await db.upgrade() == HEAD
        finally:
            await db.close()


async def test_cli_db_upgrade_reports_the_revision(database_url: str, tmp_path: Path) -> None:
    code, out, err = await run_cli("db", "upgrade", database_url=database_url, cwd=tmp_path)
    assert code == 0, err
    assert out == f"Database is up to date: revision {HEAD}.\n"


async def test_cli_usage_reads_without_migrating(database_url: str, tmp_path: Path) -> None:
    code, out, err = await run_cli("usage", "--json", database_url=database_url, cwd=tmp_path)
    assert (code, json.loads(out)) == (0, []), err
    db = Database(database_url)
    try:
        assert not await db.has_table("alembic_version"), "`bot usage` must not change the schema"
        await db.upgrade()
        await insert_one_row_per_table(db)
    finally:
        await db.close()
    code, out, err = await run_cli("usage", "--json", database_url=database_url, cwd=tmp_path)
    assert code == 0, err
    assert json.loads(out) == [
        {
            "team_id": "T1",
            "requests": 1,
            "input_tokens": 10,
            "output_tokens": 20,
            "cache_creation_input_tokens": 30,
            "cache_read_input_tokens": 40,
            "web_search_requests": 0,
            "web_fetch_requests": 0,
            "thinking_tokens": 0,
        }
    ]


async def test_a_failed_migration_leaves_nothing_half_done(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite runs DDL outside transactions unless told otherwise; upgrade() tells it."""

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("migration failed midway")

    db = Database(database_url)
    try:
        monkeypatch.setattr(Operations, "create_index", fail)  # after usage_records is created
        with pytest.raises(RuntimeError, match="midway"):
            await db.upgrade()
        assert not await db.has_table("usage_records")
        monkeypatch.undo()
        assert await db.upgrade() == HEAD
    finally:
        await db.close()

"""Shared fixtures: the fakes on loopback, a database per backend, and a running bot.

PostgreSQL: when `BOT_TEST_POSTGRES_URL` is set the PostgreSQL cases must run (CI sets it);
otherwise they run when 127.0.0.1:5432 answers, and are skipped when it does not.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.fakes.claude import FakeClaude
from bot.fakes.settings import claude_settings, slack_settings
from bot.fakes.slack import FakeSlack
from bot.process.config import Settings
from bot.runtime.server import RunningBot, running
from bot.store import Database

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def _postgres_url() -> str | None:
    required = os.environ.get("BOT_TEST_POSTGRES_URL")
    if required:
        return required
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return DEFAULT_POSTGRES
    except OSError:
        return None


POSTGRES_URL = _postgres_url()


@contextlib.asynccontextmanager
async def fresh_database(kind: str, tmp_path: Any) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema on the PostgreSQL server."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    if POSTGRES_URL is None:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 (set BOT_TEST_POSTGRES_URL to require it)")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        separator = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{separator}search_path={schema}"
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    """Store tests run on both backends."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def bot_database_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    """End-to-end tests run on SQLite unless parametrized (indirect) with "postgresql"."""
    async with fresh_database(getattr(request, "param", "sqlite"), tmp_path) as url:
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.upgrade()
    yield database
    await database.close()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    fake.add_user("U1", "alice", display_name="Alice")
    fake.add_user("U2", "bob", display_name="Bob")
    fake.add_user("U3", "carol", display_name="Carol")
    fake.add_channel("C1", "general")
    fake.add_channel("C2", "random")
    fake.add_channel("D1", is_im=True, user="U1")
    yield fake
    await fake.stop()


@pytest.fixture
async def claude() -> AsyncIterator[FakeClaude]:
    fake = FakeClaude(min_cache_tokens=50)
    await fake.start()
    yield fake
    await fake.stop()


@dataclass
class Harness:
    slack: FakeSlack
    claude: FakeClaude
    bot: RunningBot
    settings: Settings

    @property
    def url(self) -> str:
        return self.bot.events_url

    @property
    def db(self) -> Database:
        return self.bot.runtime.services.db

    async def usage_rows(self) -> list[Any]:
        from sqlmodel import select

        from bot.store.models import UsageRecord

        async with self.db.session() as session:
            return list((await session.execute(select(UsageRecord).order_by(UsageRecord.id))).scalars())

    async def wait_for_turns(self, count: int, timeout: float = 15.0) -> list[Any]:
        """Until `count` ledger rows exist: a turn writes its row last."""
        rows: list[Any] = []

        async def enough() -> bool:
            nonlocal rows
            rows = await self.usage_rows()
            return len(rows) >= count

        await wait_until(enough, timeout, f"{count} completed turns")
        return rows


async def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> None:
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if hasattr(result, "__await__"):
            result = await result
        if result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def bot_settings(slack: FakeSlack, claude: FakeClaude, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        **slack_settings(slack),
        **claude_settings(claude),
        "database_url": database_url,
        "host": "127.0.0.1",
        "port": 0,
        "metrics_port": 0,
        "slack_update_interval": 0.05,
        "claude_max_retries": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def make_harness(
    slack: FakeSlack, claude: FakeClaude, bot_database_url: str
) -> AsyncIterator[Callable[..., Any]]:
    """Start the real bot (HTTP mode) against the fakes; keyword arguments override settings."""
    stack: list[Any] = []

    async def start(**overrides: Any) -> Harness:
        settings = bot_settings(slack, claude, bot_database_url, **overrides)
        context = running(settings)
        bot = await context.__aenter__()
        stack.append(context)
        return Harness(slack, claude, bot, settings)

    yield start
    for context in reversed(stack):
        await context.__aexit__(None, None, None)


@pytest.fixture
async def harness(make_harness: Callable[..., Any]) -> Harness:
    return await make_harness()

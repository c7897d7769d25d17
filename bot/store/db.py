"""The async engine, schema upgrades, and the one insert-if-absent helper every table needs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import URL, event, inspect, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel

from bot.store.schema_version import head_revision, stamped_revisions

_LOCAL_LOCKS: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
"""`Database.exclusive` on SQLite, per file and name, shared by every engine on that file."""


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed, options = _engine_options(url)
        self.engine: AsyncEngine = create_async_engine(parsed, echo=echo, **options)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def upgrade(self) -> str | None:
        """Run the migrations up to head on this engine (so in its `?search_path=` schema, where
        `alembic_version` lives too); the revision reached. Safe to run from several processes.

        A schema already at head is seen with one query, without importing Alembic."""
        head = head_revision()
        async with self.engine.connect() as conn:
            stamped = await conn.run_sync(stamped_revisions)
        if head is not None and stamped == {head}:
            return head
        from bot.store import migrations

        async with self.engine.begin() as conn:
            return await conn.run_sync(migrations.upgrade)

    async def has_table(self, name: str) -> bool:
        async with self.engine.connect() as conn:
            return await conn.run_sync(lambda sync: inspect(sync).has_table(name))

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def insert_ignore(self, table: type[SQLModel], **values: Any) -> bool:
        """Insert a row unless its key exists; True when this call inserted it.

        The database decides, so two processes racing for the same key get one winner.
        """
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(table).values(**values).on_conflict_do_nothing()
        async with self.session() as session:
            result = await session.execute(statement)
            await session.commit()
            return bool(result.rowcount)

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[None]:
        """Held by one task at a time across every process on this database, for work that must not
        run twice at once (spending a single-use refresh token). PostgreSQL: a transaction-scoped
        advisory lock, so a crashed or cancelled holder releases it with its transaction. SQLite
        serves one process, so a lock in this process is enough."""
        if self.dialect != "postgresql":
            async with _LOCAL_LOCKS[(self.url, name)]:
                yield
            return
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        async with self.engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            yield

    async def close(self) -> None:
        await self.engine.dispose()


def _engine_options(url: str) -> tuple[URL, dict[str, Any]]:
    """Engine options per backend. A PostgreSQL `?search_path=` picks the schema (asyncpg has no
    URL parameter for it), so one database can hold several deployments or test runs."""
    parsed = _asyncpg_url(make_url(url))
    if parsed.get_backend_name() == "sqlite":
        return parsed, {"connect_args": {"timeout": 30}}
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
    search_path = parsed.query.get("search_path")
    if search_path:
        parsed = parsed.difference_update_query(["search_path"])
        options["connect_args"] = {"server_settings": {"search_path": str(search_path)}}
    return parsed, options


def _asyncpg_url(url: URL) -> URL:
    """Hosts hand out `postgres://…?sslmode=…` (Fly's `postgres attach`, Heroku, Render); the bot
    ships asyncpg, which SQLAlchemy only picks when named, and which calls that option `ssl`."""
    if url.drivername not in ("postgres", "postgresql", "postgresql+asyncpg"):
        return url
    url = url.set(drivername="postgresql+asyncpg")
    sslmode = url.query.get("sslmode")
    if sslmode is None:
        return url
    return url.difference_update_query(["sslmode"]).update_query_dict({"ssl": sslmode})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    # Another process switching (or already writing to) a new file at this very moment makes SQLite
    # refuse at once rather than wait; WAL belongs to the file, so that process's switch covers this
    # connection too.
    with contextlib.suppress(sqlite3.OperationalError):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()

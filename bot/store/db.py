"""The async engine, schema upgrades, and the one insert-if-absent helper every table needs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import URL, Table, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel import SQLModel

from bot.store.schema_version import head_revision, stamped_revisions
from bot.store.urls import engine_url, missing_folder, sqlite_file, unreachable

SQLITE_CONNECTIONS = 5
"""Kept open for the life of the engine and never more: SQLite writes one transaction at a time
anyway, and a burst that opened extra connections paid a thread, a file open and the pragmas for
each (≈ 25 ms apiece, in the way of the "thinking…" status) only to close them again."""

CONNECT_TIMEOUT = 5.0
"""Seconds a new PostgreSQL connection may take: an outage is noticed in seconds, not a minute."""

_LOCAL_LOCKS: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
"""`Database.exclusive` on SQLite, per file and name, shared by every engine on that file."""


class DatabaseUnavailable(Exception):
    """The database can't be opened or reached; the message tells the operator what to do."""


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self._parsed, options = _engine_options(url)
        self.engine: AsyncEngine = create_async_engine(self._parsed, echo=echo, **options)
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
        async with self._first_connection() as conn:
            stamped = await conn.run_sync(stamped_revisions)
        if head is not None and stamped == {head}:
            return head
        from bot.store import migrations

        async with self._first_connection() as conn, conn.begin():
            return await conn.run_sync(migrations.upgrade)

    async def has_table(self, name: str) -> bool:
        """False for an SQLite file that isn't there yet: asking must not create it."""
        path = sqlite_file(self._parsed)
        if path is not None and path.parent.is_dir() and not path.exists():
            return False
        async with self._first_connection() as conn:
            return await conn.run_sync(lambda sync: inspect(sync).has_table(name))

    @asynccontextmanager
    async def _first_connection(self) -> AsyncIterator[AsyncConnection]:
        """What start-up and the CLI connect with first: a database that can't be reached is a
        setting to correct, said in one sentence (`DatabaseUnavailable`), not a traceback."""
        problem = missing_folder(self._parsed)
        if problem is not None:
            raise DatabaseUnavailable(problem)
        try:
            conn = await self.engine.connect()
        except Exception as exc:
            raise DatabaseUnavailable(unreachable(self._parsed, exc)) from exc
        try:
            yield conn
        finally:
            await conn.close()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    def insert(self, table: type[SQLModel] | Table) -> Any:
        """This backend's INSERT, which has `on_conflict_do_nothing` / `_do_update`."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    async def insert_ignore(self, table: type[SQLModel], **values: Any) -> bool:
        """Insert a row unless its key exists; True when this call inserted it.

        The database decides, so two processes racing for the same key get one winner.
        """
        statement = self.insert(table).values(**values).on_conflict_do_nothing()
        async with self.session() as session:
            result = await session.execute(statement)
            await session.commit()
            return bool(result.rowcount)

    async def upsert(
        self, table: type[SQLModel], keys: Sequence[str], refresh: Sequence[str], **values: Any
    ) -> None:
        """Insert a row, or when one with the same `keys` exists, set its `refresh` columns; one
        statement, so racing processes can't both insert."""
        insert = self.insert(table).values(**values)
        statement = insert.on_conflict_do_update(
            index_elements=list(keys), set_={name: insert.excluded[name] for name in refresh}
        )
        async with self.session() as session:
            await session.execute(statement)
            await session.commit()

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
    parsed = engine_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed, {"connect_args": {"timeout": 30}, "pool_size": SQLITE_CONNECTIONS, "max_overflow": 0}
    connect: dict[str, Any] = {"timeout": CONNECT_TIMEOUT}
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 10,
        "connect_args": connect,
    }
    search_path = parsed.query.get("search_path")
    if search_path:
        parsed = parsed.difference_update_query(["search_path"])
        connect["server_settings"] = {"search_path": str(search_path)}
    return parsed, options


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


def is_outage(error: BaseException) -> bool:
    """The database can't be reached (refused, dropped, timed out), as opposed to refusing what
    was asked of it: worth holding the work and trying again once it answers."""
    if isinstance(error, DatabaseUnavailable | OperationalError | InterfaceError | DisconnectionError):
        return True
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated)
    return isinstance(error, OSError | TimeoutError | ConnectionError)

"""`DATABASE_URL`s: which ones the bot can use, the async driver each needs, and what to tell an
operator when the database behind one can't be reached. Pure: no connection is made here."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

EXAMPLES = "sqlite+aiosqlite:///./bot.db (a file) or postgresql+asyncpg://user:password@host/database"
ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
"""The drivers the bot ships (aiosqlite, asyncpg), under the names hosts and people write."""
MISSING_DATABASE, BAD_PASSWORD, NO_SUCH_ROLE = "3D000", "28P01", "28000"
"""PostgreSQL's SQLSTATEs for a connection refused by the server itself."""


class UnsupportedDatabase(ValueError):
    """A `DATABASE_URL` the bot has no driver for, or that is no URL at all."""


def engine_url(url: str) -> URL:
    """The URL SQLAlchemy's async engine gets. Hosts hand out `postgres://…?sslmode=…` (Fly's
    `postgres attach`, Heroku, Render); the bot ships asyncpg, which SQLAlchemy only picks when
    named, and which calls that option `ssl`. Plain `sqlite://` means the aiosqlite driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UnsupportedDatabase(f"DATABASE_URL is not a database URL: use {EXAMPLES}") from None
    driver = ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise UnsupportedDatabase(
            f"DATABASE_URL uses {parsed.drivername}, which the bot doesn't support: use {EXAMPLES}"
        )
    parsed = parsed.set(drivername=driver)
    sslmode = parsed.query.get("sslmode")
    if driver != "postgresql+asyncpg" or sslmode is None:
        return parsed
    return parsed.difference_update_query(["sslmode"]).update_query_dict({"ssl": sslmode})


def sqlite_file(url: URL) -> Path | None:
    """The file an SQLite URL names; None for PostgreSQL and for an in-memory SQLite database."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def missing_folder(url: URL) -> str | None:
    """SQLite creates a missing file, never a missing folder: that is a setting to correct."""
    path = sqlite_file(url)
    if path is None or path.parent.is_dir():
        return None
    return (
        f"DATABASE_URL points into {path.parent}, which doesn't exist: create that folder or point "
        "DATABASE_URL somewhere else."
    )


def unreachable(url: URL, error: BaseException) -> str:
    """One sentence for an operator whose database refused the bot's first connection."""
    path = sqlite_file(url)
    if path is not None:
        return (
            f"DATABASE_URL names {path}, which can't be opened ({_first_line(error)}): check the file "
            "and its folder's permissions."
        )
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    state = _sqlstate(error)
    if state == MISSING_DATABASE:
        return (
            f"DATABASE_URL names the database {url.database!r}, which doesn't exist on {where}: create "
            f"it (createdb {url.database}) or correct the name."
        )
    if state in (BAD_PASSWORD, NO_SUCH_ROLE):
        return (
            f"DATABASE_URL's user {url.username!r} was refused by {where}: check the user name and password."
        )
    if isinstance(error, OSError | TimeoutError):
        return (
            f"DATABASE_URL: no PostgreSQL answers at {where} ({_first_line(error)}): start it, or "
            "correct the host and port."
        )
    return (
        f"DATABASE_URL: can't connect to {url.render_as_string(hide_password=True)} "
        f"({_first_line(error)}): check the setting and that the database is up."
    )


def _sqlstate(error: BaseException) -> str | None:
    """asyncpg's error, wherever SQLAlchemy's wrapping put it."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            return state
        stack += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return None


def _first_line(error: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's wrapping and links."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return text[0].rstrip(".") if text else type(error).__name__

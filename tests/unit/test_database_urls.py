"""DATABASE_URL: the drivers the bot ships, and the one sentence for a database out of reach."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import make_url

from bot.store.urls import UnsupportedDatabase, engine_url, missing_folder, unreachable


class ServerRefused(Exception):
    """Like asyncpg's errors: the server's SQLSTATE on the exception."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__("refused")
        self.sqlstate = sqlstate


def wrapped(error: Exception) -> Exception:
    """As SQLAlchemy raises it: the driver's error one step down the chain."""
    try:
        raise RuntimeError("(wrapped) connection failed") from error
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///./bot.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///./bot.db", "sqlite+aiosqlite"),
        ("postgres://u:p@db/bot", "postgresql+asyncpg"),
        ("postgresql://u:p@db/bot", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u:p@db/bot", "postgresql+asyncpg"),
    ],
)
def test_the_names_hosts_hand_out_get_the_shipped_async_driver(given: str, driver: str) -> None:
    assert engine_url(given).drivername == driver


def test_sslmode_becomes_asyncpgs_ssl() -> None:
    url = engine_url("postgres://u:p@db/bot?sslmode=require")
    assert url.query == {"ssl": "require"}


@pytest.mark.parametrize("given", ["mysql://u@h/db", "postgresql+psycopg2://u@h/db", "not a url"])
def test_other_databases_are_named_with_what_to_use_instead(given: str) -> None:
    with pytest.raises(UnsupportedDatabase, match=r"^DATABASE_URL .*use sqlite\+aiosqlite:///"):
        engine_url(given)


def test_a_missing_folder_is_named_and_an_existing_one_is_fine(tmp_path: Path) -> None:
    missing = make_url(f"sqlite+aiosqlite:///{tmp_path / 'nope' / 'bot.db'}")
    assert missing_folder(missing) == (
        f"DATABASE_URL points into {tmp_path / 'nope'}, which doesn't exist: create that folder "
        "or point DATABASE_URL somewhere else."
    )
    assert missing_folder(make_url(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")) is None
    assert missing_folder(make_url("sqlite+aiosqlite:///:memory:")) is None
    assert missing_folder(make_url("postgresql+asyncpg://u@db/bot")) is None


PG = make_url("postgresql+asyncpg://bot:secret@db.internal:6543/botdb")


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (wrapped(ServerRefused("3D000")), "the database 'botdb', which doesn't exist on db.internal:6543"),
        (wrapped(ServerRefused("28P01")), "user 'bot' was refused by db.internal:6543"),
        (ConnectionRefusedError(111, "Connect call failed"), "no PostgreSQL answers at db.internal:6543"),
        (socket.gaierror(-2, "Name or service not known"), "no PostgreSQL answers at db.internal:6543"),
        (TimeoutError(), "no PostgreSQL answers at db.internal:6543"),
        (ValueError("something else\nand more"), "can't connect to postgresql+asyncpg://bot:***@"),
    ],
)
def test_a_database_out_of_reach_is_one_sentence(error: Exception, sentence: str) -> None:
    said = unreachable(PG, error)

    assert sentence in said
    assert "\n" not in said and "secret" not in said
    assert said.startswith("DATABASE_URL") and said.endswith(".")

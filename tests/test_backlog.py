"""Work held while the database is out of reach: done once it answers, each once, logged once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import make_url, text

from bot.fakes.tcp_proxy import TcpProxy
from bot.flows.backlog import Backlog
from bot.store import Database
from tests.conftest import wait_until

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
async def proxied(database_url: str) -> AsyncIterator[tuple[Database, TcpProxy]]:
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    db = Database(url)
    yield db, proxy
    await db.close()
    await proxy.stop()


async def test_work_held_during_an_outage_is_done_once_the_database_is_back(
    proxied: tuple[Database, TcpProxy], caplog: pytest.LogCaptureFixture
) -> None:
    db, proxy = proxied
    backlog = Backlog(db)
    done: list[int] = []

    def work(n: int) -> Callable[[], Awaitable[None]]:
        async def write() -> None:
            async with db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            done.append(n)

        return write

    await backlog.attempt("item", work(0))
    proxy.cut()
    with caplog.at_level(logging.WARNING, logger="bot.flows.backlog"):
        for n in range(1, 41):
            await backlog.attempt("item", work(n))
        assert backlog.held == 40 and done == [0]
        await asyncio.sleep(1.5)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, "one line for the outage, not one per held item"
    proxy.restore()
    await wait_until(lambda: len(done) == 41, 15, "the held work")
    assert sorted(done) == list(range(41)) and backlog.held == 0, "each once"
    await backlog.close()


async def test_the_backlog_is_bounded(proxied: tuple[Database, TcpProxy], caplog) -> None:
    db, proxy = proxied
    backlog = Backlog(db, max_held=3)

    async def fails() -> None:
        raise OSError("connection refused")

    proxy.cut()
    with caplog.at_level(logging.ERROR, logger="bot.flows.backlog"):
        for _ in range(5):
            await backlog.attempt("item", fails)
    assert backlog.held == 3
    assert sum("dropped" in r.getMessage() for r in caplog.records) == 2, "what can't be held is said"
    await backlog.close()

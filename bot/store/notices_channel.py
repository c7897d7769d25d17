"""A PostgreSQL `LISTEN`/`NOTIFY` channel between replicas, for what must reach the process that
holds something in memory (the Stop button: the reply is being written by one replica, the click
may land on any). One connection per process listens; it reconnects when the database comes back.

The channel is named after the schema the bot's tables are in, so two deployments (or test runs)
sharing a database don't hear each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from bot.store.db import Database

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 1.0
PING_SECONDS = 5.0
Handler = Callable[[dict[str, Any]], None]


class Broadcast:
    def __init__(self, db: Database, topic: str, handler: Handler) -> None:
        self._db = db
        self._topic = topic
        self._handler = handler
        self._channel: str | None = None
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), 5)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task})

    async def publish(self, payload: dict[str, Any]) -> None:
        async with self._db.engine.begin() as connection:
            await connection.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": await self._name(), "payload": json.dumps(payload)},
            )

    async def _name(self) -> str:
        if self._channel is None:
            async with self._db.engine.connect() as connection:
                schema = (await connection.execute(text("SELECT current_schema()"))).scalar_one()
            self._channel = f"bot_{self._topic}_{hashlib.sha256(str(schema).encode()).hexdigest()[:12]}"
        return self._channel

    def _received(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            self._handler(json.loads(payload))
        except Exception:
            log.exception("a %s notice could not be handled", self._topic)

    async def _listen_forever(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.listening.is_set():
                    log.warning(
                        "lost the %s channel (%s); listening again when the database is back",
                        self._topic,
                        type(exc).__name__,
                    )
            self.listening.clear()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen_once(self) -> None:
        """Until the connection is lost: a dropped connection may not say so, so it is pinged."""
        channel = await self._name()
        async with self._db.engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            await raw.add_listener(channel, self._received)
            self.listening.set()
            try:
                while True:
                    await asyncio.sleep(PING_SECONDS)
                    await asyncio.wait_for(raw.execute("SELECT 1"), PING_SECONDS)
            finally:
                with contextlib.suppress(Exception):
                    await raw.remove_listener(channel, self._received)

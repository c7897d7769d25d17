"""`/healthz` (the process answers), `/readyz` (it can do its job), `/metrics` (Prometheus)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.store import Database

AUTH_CHECK_SECONDS = 60.0
"""`auth.test` is cached this long: a load balancer polling /readyz must not spend Slack's quota."""


@dataclass
class Readiness:
    db: Database
    client: AsyncWebClient | None
    """None in OAuth mode, where there is no single bot token to check."""
    socket: AsyncSocketModeHandler | None = None
    _auth_ok_until: float = field(default=0.0, init=False)

    async def checks(self) -> dict[str, bool]:
        results = {"database": await self._database(), "slack_auth": await self._slack_auth()}
        if self.socket is not None:
            results["socket_mode"] = await self.socket.client.is_connected()
        return results

    async def _database(self) -> bool:
        try:
            async with self.db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def _slack_auth(self) -> bool:
        if self.client is None or time.monotonic() < self._auth_ok_until:
            return True
        try:
            await self.client.auth_test()
        except (SlackApiError, OSError):
            return False
        self._auth_ok_until = time.monotonic() + AUTH_CHECK_SECONDS
        return True


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def metrics(_request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_routes(app: web.Application, readiness: Readiness) -> None:
    async def readyz(_request: web.Request) -> web.Response:
        checks = await readiness.checks()
        ok = all(checks.values())
        return web.json_response({"ok": ok, "checks": checks}, status=200 if ok else 503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

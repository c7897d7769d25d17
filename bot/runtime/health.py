"""`/healthz` (the process answers) for the load balancer on the public port; `/readyz` (it can do
its job) and `/metrics` (Prometheus) on the internal one, since they name workspaces and spend a
Slack call."""

from __future__ import annotations

import asyncio
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
FAILED_AUTH_CHECK_SECONDS = 15.0
"""A failure is cached too, shorter, so a revoked or mistyped token doesn't cost a call per poll
and a network blip doesn't keep the bot unready for a minute."""


@dataclass
class Readiness:
    db: Database
    client: AsyncWebClient | None
    """None in OAuth mode, where there is no single bot token to check."""
    socket: AsyncSocketModeHandler | None = None
    _auth_ok: bool = field(default=False, init=False)
    _auth_checked_until: float = field(default=0.0, init=False)
    _auth_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

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
        """One `auth.test` at a time, its answer (good or bad) reused until it goes stale."""
        if self.client is None:
            return True
        async with self._auth_lock:
            if time.monotonic() >= self._auth_checked_until:
                try:
                    await self.client.auth_test()
                except (SlackApiError, OSError):
                    self._auth_ok = False
                else:
                    self._auth_ok = True
                fresh_for = AUTH_CHECK_SECONDS if self._auth_ok else FAILED_AUTH_CHECK_SECONDS
                self._auth_checked_until = time.monotonic() + fresh_for
            return self._auth_ok


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def metrics(_request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_public_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)


def internal_app(readiness: Readiness) -> web.Application:
    """What only the operator's own network should reach (`METRICS_PORT`)."""

    async def readyz(_request: web.Request) -> web.Response:
        checks = await readiness.checks()
        ok = all(checks.values())
        return web.json_response({"ok": ok, "checks": checks}, status=200 if ok else 503)

    app = web.Application()
    add_public_routes(app)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app

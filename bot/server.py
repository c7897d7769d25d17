"""Runs the app: HTTP mode (aiohttp, `/slack/events`) or Socket Mode, with `/healthz` in both."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import Runtime, runtime
from bot.config import Settings
from bot.health import Readiness, add_routes

log = logging.getLogger(__name__)


@dataclass
class RunningBot:
    runtime: Runtime
    port: int
    """The port actually bound (useful when `PORT=0`)."""

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"


@web.middleware
async def refuse_malformed_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bolt answers a signed but unparseable body with a 500, which Slack would retry; say 400."""
    try:
        return await handler(request)
    except json.JSONDecodeError:
        log.warning("refused a request whose body is not valid JSON")
        return web.json_response({"error": "malformed body"}, status=400)


def web_app(rt: Runtime, readiness: Readiness, *, socket_mode: bool) -> web.Application:
    """Bolt's aiohttp application plus health and metrics on one port; no events in Socket Mode."""
    app = web.Application() if socket_mode else rt.app.web_app(path="/slack/events")
    app.middlewares.append(refuse_malformed_bodies)
    add_routes(app, readiness)
    return app


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[RunningBot]:
    async with runtime(settings) as rt:
        readiness = Readiness(rt.services.db, rt.client if rt.client.token else None)
        runner = web.AppRunner(web_app(rt, readiness, socket_mode=settings.socket_mode), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        port = runner.addresses[0][1] if runner.addresses else settings.port
        handler: AsyncSocketModeHandler | None = None
        try:
            if settings.socket_mode and settings.slack_app_token is not None:
                handler = AsyncSocketModeHandler(rt.app, settings.slack_app_token.get_secret_value())
                readiness.socket = handler
                await handler.connect_async()
                log.info("connected to Slack over Socket Mode; /healthz on port %s", port)
            else:
                log.info("listening for Slack events on port %s at /slack/events", port)
            yield RunningBot(rt, port)
        finally:
            # Stop taking events first (Slack retries them elsewhere), then let replies finish.
            if handler is not None:
                await handler.close_async()
            await site.stop()
            await rt.services.drain(settings.shutdown_grace_seconds)
            await runner.cleanup()


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM."""
    async with running(settings):
        await until_signalled()


async def until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)

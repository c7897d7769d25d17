"""Runs the app: HTTP mode (aiohttp, `/slack/events`) or Socket Mode, with `/healthz` in both, and
`/readyz` and `/metrics` on an internal port of their own."""

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
from bot.health import Readiness, add_public_routes, internal_app
from bot.install_throttle import ClientBuckets, install_throttle

log = logging.getLogger(__name__)


@dataclass
class RunningBot:
    runtime: Runtime
    port: int
    """The port actually bound (useful when `PORT=0`)."""
    metrics_port: int
    """The internal port actually bound (`/readyz`, `/metrics`)."""

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


def web_app(rt: Runtime, *, socket_mode: bool) -> web.Application:
    """Bolt's aiohttp application plus `/healthz` on the public port; no events in Socket Mode."""
    app = web.Application() if socket_mode else rt.app.web_app(path="/slack/events")
    app.middlewares.append(refuse_malformed_bodies)
    flow = rt.app.oauth_flow
    if flow is not None and not socket_mode:
        settings = rt.services.settings
        buckets = ClientBuckets(settings.install_rate_limit)
        paths = (flow.install_path, flow.redirect_uri_path)
        app.middlewares.append(install_throttle(buckets, paths, settings.client_ip_header))
    add_public_routes(app)
    return app


async def serve_app(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, web.TCPSite, int]:
    """Started on `host`:`port`; the port actually bound is returned (for port 0)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, site, runner.addresses[0][1] if runner.addresses else port


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[RunningBot]:
    async with runtime(settings) as rt, contextlib.AsyncExitStack() as internal_port:
        readiness = Readiness(rt.services.db, rt.client if rt.client.token else None)
        internal = internal_app(readiness)
        internal_runner, _, metrics_port = await serve_app(internal, settings.host, settings.metrics_port)
        internal_port.push_async_callback(internal_runner.cleanup)
        log.info("/readyz and /metrics on internal port %s", metrics_port)
        public = web_app(rt, socket_mode=settings.socket_mode)
        runner, site, port = await serve_app(public, settings.host, settings.port)
        handler: AsyncSocketModeHandler | None = None
        try:
            if settings.socket_mode and settings.slack_app_token is not None:
                handler = AsyncSocketModeHandler(rt.app, settings.slack_app_token.get_secret_value())
                readiness.socket = handler
                await handler.connect_async()
                log.info("connected to Slack over Socket Mode; /healthz on port %s", port)
            else:
                log.info("listening for Slack events on port %s at /slack/events", port)
            yield RunningBot(rt, port, metrics_port)
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

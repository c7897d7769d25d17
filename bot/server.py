"""Runs the app: HTTP mode (aiohttp, `/slack/events`) or Socket Mode, with `/healthz` in both."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import Runtime, runtime
from bot.config import Settings

log = logging.getLogger(__name__)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def http_app(rt: Runtime) -> web.Application:
    """Bolt's aiohttp application plus our own routes, on one port."""
    app = rt.app.web_app(path="/slack/events")
    app.router.add_get("/healthz", healthz)
    return app


def health_only_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    return app


async def serve(settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or cancellation)."""
    async with runtime(settings) as rt:
        web_app = health_only_app() if settings.socket_mode else http_app(rt)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        socket_handler: AsyncSocketModeHandler | None = None
        if settings.socket_mode and settings.slack_app_token is not None:
            socket_handler = AsyncSocketModeHandler(rt.app, settings.slack_app_token.get_secret_value())
            socket_handler.client.web_client = rt.client
            await socket_handler.connect_async()
            log.info("connected to Slack over Socket Mode; health on port %s", settings.port)
        else:
            log.info("listening for Slack on http://%s:%s/slack/events", settings.host, settings.port)
        if ready is not None:
            ready.set()
        try:
            await _until_signalled()
        finally:
            if socket_handler is not None:
                await socket_handler.close_async()
            await runner.cleanup()


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)

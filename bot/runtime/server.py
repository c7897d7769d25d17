"""Runs the app: HTTP mode (aiohttp, `/slack/events`) or Socket Mode, with `/healthz` in both, and
`/readyz` and `/metrics` on an internal port of their own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler, Middleware
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.signature import SignatureVerifier

from bot.process.config import Settings
from bot.runtime.app import Runtime, runtime
from bot.runtime.health import Readiness, add_public_routes, internal_app
from bot.runtime.install_throttle import ClientBuckets, install_throttle

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class _OneLineForUnparseableRequests(logging.Filter):
    """aiohttp logs a request it can't even parse (a line too long, a broken header) as an ERROR
    with a traceback, though it answers 400: that is noise from the network, not a fault of ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg, record.args = "refused an unparseable HTTP request: %s", (error.message,)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


_http_log = logging.getLogger("bot.http")
_http_log.addFilter(_OneLineForUnparseableRequests())


@dataclass
class RunningBot:
    runtime: Runtime
    port: int
    """The port actually bound (useful when `PORT=0`)."""
    metrics_port: int
    """The internal port actually bound (`/readyz`, `/metrics`)."""

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{EVENTS_PATH}"


def refuse_junk(signing_secret: str | None) -> Middleware:
    """A 400 or 401 with one log line for what isn't from Slack, never a 500 and a traceback.
    Bolt parses a body before it checks its signature, so an anonymous body of the wrong shape,
    a timestamp `int()` refuses or a non-ASCII signature crashed it: the signature is checked
    here first, with slack_sdk's own verifier, and only signed requests reach Bolt."""
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if verifier is not None and request.method == "POST" and request.path == EVENTS_PATH:
            refusal = await _unsigned(request, verifier)
            if refusal is not None:
                status, reason = refusal
                log.warning("refused a request to %s: %s", request.path, reason)
                return web.json_response({"error": reason}, status=status)
        try:
            return await handler(request)
        except json.JSONDecodeError:
            log.warning("refused a request whose body is not valid JSON")
            return web.json_response({"error": "malformed body"}, status=400)

    return middleware


async def _unsigned(request: web.Request, verifier: SignatureVerifier) -> tuple[int, str] | None:
    """Why a request to the events URL isn't Slack's, as (status, reason); None when it is."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not _TIMESTAMP.fullmatch(timestamp) or not signature.isascii():
        return 401, "malformed Slack signature headers"
    try:
        body = (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        return 400, "the body is not UTF-8"
    if not verifier.is_valid(body, timestamp, signature):
        return 401, "invalid Slack signature, or a stale timestamp"
    return None


def web_app(rt: Runtime, *, socket_mode: bool) -> web.Application:
    """Bolt's aiohttp application plus `/healthz` on the public port; no events in Socket Mode."""
    app = web.Application() if socket_mode else rt.app.web_app(path=EVENTS_PATH)
    settings = rt.services.settings
    secret = settings.slack_signing_secret
    app.middlewares.append(refuse_junk(None if socket_mode or secret is None else secret.get_secret_value()))
    flow = rt.app.oauth_flow
    if flow is not None and not socket_mode:
        buckets = ClientBuckets(settings.install_rate_limit)
        paths = (flow.install_path, flow.redirect_uri_path)
        app.middlewares.append(install_throttle(buckets, paths, settings.client_ip_header))
    add_public_routes(app)
    return app


async def serve_app(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, web.TCPSite, int]:
    """Started on `host`:`port`; the port actually bound is returned (for port 0)."""
    runner = web.AppRunner(app, access_log=None, logger=_http_log)
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

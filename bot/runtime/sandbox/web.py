"""The sandbox page: a static Slack-like client (no build step), the workspace pushed to it over
a websocket whenever something changes, and the few things a person does there (post, run a
command, click a button, open the Home tab, start a chat in the AI app pane), each turned into
what Slack would send the bot."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.runtime.sandbox.workspace import Upload, Workspace

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
"""Bigger than the bot's own download cap, so the bot, not the page, says a file is too big."""
COALESCE_SECONDS = 0.05
"""A streaming answer changes many times a second; the page needs a fresh picture at most this often."""
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""Files the page may show in place; anything else (HTML, SVG…) downloads, so it can't run here."""

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""The names a browser on this machine reaches the page by; any other `Host` is a rebinding."""

WORKSPACE = web.AppKey("workspace", Workspace)
SOCKETS = web.AppKey("sockets", set[web.WebSocketResponse])


@contextlib.asynccontextmanager
async def serving_page(workspace: Workspace, port: int) -> AsyncIterator[str]:
    """The page on 127.0.0.1 only: the sandbox is for the person at this machine."""
    runner = web.AppRunner(page_app(workspace), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()


def page_app(workspace: Workspace) -> web.Application:
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES, middlewares=[same_origin_only])
    app[WORKSPACE] = workspace
    app[SOCKETS] = set()
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/files/{id}/{name}", file)
    app.router.add_get("/api/live", live)
    app.router.add_post("/api/messages", post_message)
    app.router.add_post("/api/commands", run_command)
    app.router.add_post("/api/actions", click)
    app.router.add_post("/api/shortcuts", shortcut)
    app.router.add_post("/api/permalink", permalink)
    app.router.add_post("/api/home", open_home)
    app.router.add_post("/api/new-chat", new_chat)
    app.router.add_post("/api/modal", answer_modal)
    app.cleanup_ctx.append(broadcasting)
    app.on_shutdown.append(_close_sockets)
    return app


@web.middleware
async def same_origin_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Another site open in the same browser must not read the workspace or post into it. After a
    DNS rebinding such a site is served from this port under its own name and sets both `Host`
    and `Origin`, so the name must be this machine's own, and the origin this very page."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    port = sockname[1] if sockname else None
    host = request.headers.get("Host", "").lower()
    if host not in {f"{name}:{port}" for name in LOOPBACK_NAMES}:
        raise web.HTTPForbidden(text="this page is served to this machine only")
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() != f"http://{host}":
        raise web.HTTPForbidden(text="cross-origin requests are refused")
    return await handler(request)


async def index(request: web.Request) -> web.FileResponse:
    policy = (
        "default-src 'self'; img-src 'self' blob: data:; "
        f"connect-src 'self' ws://{request.host}; object-src 'none'; base-uri 'none'"
    )
    return web.FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": policy})


async def file(request: web.Request) -> web.Response:
    """What the bot downloads with its token, for the page, which has none."""
    slack = request.app[WORKSPACE].slack
    info = slack.files.get(request.match_info["id"])
    if info is None:
        raise web.HTTPNotFound(text="no such file")
    headers = {"X-Content-Type-Options": "nosniff"}
    inline = info["mimetype"] in INLINE_TYPES
    if not inline:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(info['name'])}"
    return web.Response(
        body=slack.file_content(info["id"]),
        content_type=info["mimetype"] if inline else "application/octet-stream",
        headers=headers,
    )


async def live(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    sockets = request.app[SOCKETS]
    sockets.add(ws)
    try:
        await ws.send_str(json.dumps(request.app[WORKSPACE].snapshot()))
        async for _message in ws:
            pass  # the page only listens; it acts through the POST routes
    finally:
        sockets.discard(ws)
    return ws


async def post_message(request: web.Request) -> web.Response:
    workspace = request.app[WORKSPACE]
    form = await request.post()
    channel = _channel(workspace, form.get("channel"))
    text = str(form.get("text") or "")
    uploads = tuple(
        Upload(part.filename, part.file.read(), part.content_type)
        for part in form.getall("file", [])
        if isinstance(part, web.FileField)
    )
    if not text.strip() and not uploads:
        raise web.HTTPBadRequest(text="a message needs text or a file")
    thread_ts = str(form.get("thread_ts") or "") or None
    message = await workspace.say(channel, text, thread_ts=thread_ts, uploads=uploads)
    return web.json_response({"ts": message["ts"]})


async def run_command(request: web.Request) -> web.Response:
    workspace = request.app[WORKSPACE]
    body = await _json(request)
    text = str(body.get("text") or "")
    if not text.startswith("/"):
        raise web.HTTPBadRequest(text="a command starts with /")
    thread_ts = str(body.get("thread_ts") or "") or None
    answer = await workspace.command(_channel(workspace, body.get("channel")), text, thread_ts=thread_ts)
    return web.json_response(answer)


async def click(request: web.Request) -> web.Response:
    workspace = request.app[WORKSPACE]
    body = await _json(request)
    ts, action_id = body.get("ts"), body.get("action_id")
    if not isinstance(ts, str) or not isinstance(action_id, str):
        raise web.HTTPBadRequest(text="a click needs the message's ts and the button's action_id")
    await workspace.click(
        _channel(workspace, body.get("channel")),
        ts,
        action_id,
        value=str(body.get("value") or ""),
        block_id=str(body.get("block_id") or "b"),
        element_type=str(body.get("element_type") or "button"),
    )
    return web.json_response({"ok": True})


async def shortcut(request: web.Request) -> web.Response:
    """`{"channel", "ts", "callback_id"}`: a message shortcut from the message's menu."""
    workspace = request.app[WORKSPACE]
    body = await _json(request)
    channel = _channel(workspace, body.get("channel"))
    ts, callback_id = body.get("ts"), body.get("callback_id")
    if not isinstance(ts, str) or not isinstance(callback_id, str):
        raise web.HTTPBadRequest(text="a shortcut needs the message's ts and the shortcut's callback_id")
    try:
        await workspace.shortcut(channel, ts, callback_id)
    except (ValueError, AssertionError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response({"ok": True})


async def permalink(request: web.Request) -> web.Response:
    """`{"channel", "ts"}`: the message's link, for "Copy link"."""
    workspace = request.app[WORKSPACE]
    body = await _json(request)
    channel, ts = _channel(workspace, body.get("channel")), body.get("ts")
    try:
        link = workspace.permalink(channel, str(ts))
    except KeyError:
        raise web.HTTPNotFound(text="no such message") from None
    return web.json_response({"permalink": link})


async def open_home(request: web.Request) -> web.Response:
    await request.app[WORKSPACE].open_home()
    return web.json_response({"ok": True})


async def new_chat(request: web.Request) -> web.Response:
    """`{"context": channel}`: the channel the person last looked at, which the pane sits beside."""
    workspace = request.app[WORKSPACE]
    body = await _json(request)
    root = await workspace.new_chat(_channel(workspace, body.get("context")))
    return web.json_response({"ts": root["ts"]})


async def answer_modal(request: web.Request) -> web.Response:
    """`{"values": {block_id: {action_id: text}}}` submits the open modal; `{"close": true}` closes it."""
    workspace = request.app[WORKSPACE]
    body = await _json(request)
    if body.get("close"):
        workspace.close_modal()
        return web.json_response({"ok": True})
    values = body.get("values")
    if workspace.modal is None or not isinstance(values, dict):
        raise web.HTTPBadRequest(text="no modal is open, or no values were given")
    await workspace.submit_modal(values)
    return web.json_response({"ok": True})


async def broadcasting(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_broadcast(app))
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _broadcast(app: web.Application) -> None:
    workspace = app[WORKSPACE]
    while True:
        await workspace.changed.wait()
        workspace.changed.clear()
        sockets = list(app[SOCKETS])
        if sockets:
            data = json.dumps(workspace.snapshot())
            # A page that went away mid-send is dropped by its own handler.
            await asyncio.gather(*(ws.send_str(data) for ws in sockets), return_exceptions=True)
        await asyncio.sleep(COALESCE_SECONDS)


async def _close_sockets(app: web.Application) -> None:
    for ws in list(app[SOCKETS]):
        await ws.close()


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


def _channel(workspace: Workspace, value: object) -> str:
    if not isinstance(value, str) or value not in workspace.slack.channels:
        raise web.HTTPBadRequest(text="no such channel")
    return value

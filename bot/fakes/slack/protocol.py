"""Slack's wire protocol as the fake speaks it: records of what it received and sent, its error,
and the pure helpers that read and check arguments the way Slack does."""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

JSON = dict[str, Any]

MAX_TEXT = 40_000
MAX_MARKDOWN_TEXT = 12_000
MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
# Per-block text limits Slack enforces with `invalid_blocks`.
BLOCK_TEXT_LIMITS = {"section": 3_000, "markdown": 12_000, "header": 150}
MAX_REPLIES_PAGE = 1_000
# Message timestamps count up from here (unless `clock_timestamps`): unique and ordered whatever the
# wall clock does, and the same in every run.
FIRST_TS_SECONDS = 1_700_000_000
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# Authenticated by client id and secret, not by a token.
CLIENT_CREDENTIAL_METHODS = frozenset({"oauth.v2.access"})
BOT_SCOPES = (
    "app_mentions:read,assistant:write,channels:history,chat:write,commands,files:read,files:write,"
    "groups:history,im:history,mpim:history,users:read"
)
# What an image block may show from a Slack file.
IMAGE_FILE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})
MAX_ALT_TEXT = 2_000
# What files.slack.com serves instead of the file when the token is missing, wrong or lacks files:read.
LOGIN_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Slack</title></head>'
    "<body><h1>Sign in to Slack</h1><p>Continue with the workspace URL.</p></body></html>"
)
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Call:
    """One Web API request as the fake received and answered it."""

    method: str
    params: JSON  # query, form and JSON body merged; values as the client sent them, token removed
    time: float  # time.monotonic() on arrival
    status: int  # HTTP status answered: 200, or 429 when rate limited
    ok: bool | None  # the answer's "ok"


@dataclass
class Delivery:
    """One request the fake sent to the bot, and how fast the bot acknowledged it (Slack allows 3 s)."""

    kind: Literal["event", "command", "action", "socket"]
    body: JSON
    time: float  # time.monotonic() when sent
    elapsed: float  # seconds until the bot answered (or the ack timed out)
    status: int  # HTTP status; Socket Mode: 200 when acknowledged, 0 when not
    response: str


class _SlackError(Exception):
    """An `{"ok": false, "error": ...}` answer."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _decoded(value: Any) -> Any:
    """Structured arguments arrive as objects in JSON bodies but as JSON strings in forms."""
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _truthy(value: Any) -> bool:
    # slack_sdk turns booleans into "1"/"0" in query strings; JSON bodies keep true/false.
    return value in (True, 1, "1", "true", "True")


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.startswith("Bearer "):
        return authorization.removeprefix("Bearer ").strip()
    return None


def _signature(secret: str, timestamp: int, body: bytes) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _cursor(ts: str) -> str:
    # The shape of Slack's own cursors: base64 of "next_ts:<ts without the dot>".
    return base64.b64encode(f"next_ts:{ts.replace('.', '')}".encode()).decode()


def _cursor_ts(cursor: str) -> int:
    try:
        kind, _, value = base64.b64decode(cursor, validate=True).decode().partition(":")
        if kind != "next_ts":
            raise ValueError(kind)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _SlackError("invalid_cursor") from None


def _ts_key(ts: str) -> int:
    return int(ts.replace(".", ""))


def _micros(value: Any, error: str) -> int:
    """A Slack timestamp ("1700000001.000001", "1700000001", "1700000001.5") in microseconds."""
    seconds, _, fraction = str(value).strip().partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()):
        raise _SlackError(error)
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])


def _limit(value: Any) -> int:
    if value in (None, ""):
        return MAX_REPLIES_PAGE
    try:
        return min(max(int(value), 1), MAX_REPLIES_PAGE)
    except ValueError:
        raise _SlackError("invalid_limit") from None


def _check_blocks(blocks: Any, image_shown: Callable[[JSON], bool], max_blocks: int = MAX_BLOCKS) -> None:
    if not isinstance(blocks, list) or not all(isinstance(b, dict) and b.get("type") for b in blocks):
        raise _SlackError("invalid_blocks_format")
    if len(blocks) > max_blocks:
        raise _SlackError("invalid_blocks")
    for block in blocks:
        if block["type"] == "context_actions":
            _check_context_actions(block)
        if block["type"] == "image" and not image_shown(block):
            raise _SlackError("invalid_blocks")
        text = block.get("text")
        text = text.get("text") if isinstance(text, dict) else text
        limit = BLOCK_TEXT_LIMITS.get(block["type"])
        if limit is not None and isinstance(text, str) and len(text) > limit:
            raise _SlackError("invalid_blocks")


def _check_context_actions(block: JSON) -> None:
    """Slack's documented shape: up to five feedback_buttons / icon_button elements; feedback buttons
    carry a positive and a negative button, each with plain_text (≤ 75) and a value (≤ 2,000)."""
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= 5:
        raise _SlackError("invalid_blocks")
    for element in elements:
        kind = element.get("type") if isinstance(element, dict) else None
        if kind not in ("feedback_buttons", "icon_button"):
            raise _SlackError("invalid_blocks")
        if kind != "feedback_buttons":
            continue
        for key in ("positive_button", "negative_button"):
            button = element.get(key)
            text = button.get("text") if isinstance(button, dict) else None
            if not (
                isinstance(text, dict)
                and text.get("type") == "plain_text"
                and 0 < len(str(text.get("text") or "")) <= 75
                and isinstance(button.get("value"), str)
                and 0 < len(button["value"]) <= 2_000
            ):
                raise _SlackError("invalid_blocks")


def _metadata(params: JSON) -> JSON | None:
    raw = params.get("metadata")
    if raw in (None, ""):
        return None
    value = _decoded(raw)
    if not isinstance(value, dict):
        raise _SlackError("invalid_metadata_format")
    if not isinstance(value.get("event_type"), str) or not isinstance(value.get("event_payload"), dict):
        raise _SlackError("invalid_metadata_schema")
    return value


def _stream_text(params: JSON) -> str:
    """The text a stream call adds: `markdown_text`, then the text of its `markdown_text` chunks."""
    markdown = params.get("markdown_text") or ""
    if len(markdown) > MAX_MARKDOWN_TEXT:
        raise _SlackError("msg_too_long")
    chunks = _decoded(params.get("chunks")) or []
    if not isinstance(chunks, list) or not all(isinstance(c, dict) and c.get("type") for c in chunks):
        raise _SlackError("invalid_chunks")
    texts = [c.get("text", "") for c in chunks if c["type"] == "markdown_text"]
    if any(len(text) > MAX_MARKDOWN_TEXT for text in texts):
        raise _SlackError("msg_too_long")
    return markdown + "".join(texts)


async def _read_params(request: web.Request) -> JSON:
    """Query string, form fields and JSON body merged: slack_sdk uses each of them, even on a POST."""
    params: JSON = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params

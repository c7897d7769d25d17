"""A fake Slack workspace served over real HTTP.

Tests and benchmarks point the real `slack_sdk` `AsyncWebClient` (and a real Bolt `AsyncApp`, in HTTP
or Socket Mode) at it, so the SDK's transport, argument encoding, retries and Socket Mode client are
what gets exercised, not a mock of them. It keeps state the way a workspace does (users, channels,
threads, files, streams), answers with Slack's shapes and error names, throttles like Slack's rate
tiers, and delivers events, slash commands and button clicks signed the way Slack signs them.
"""

import asyncio
import base64
import binascii
import copy
import hashlib
import hmac
import inspect
import itertools
import json
import math
import mimetypes
import secrets
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web

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


def _check_blocks(
    blocks: Any, image_shown: Callable[[JSON], bool], max_blocks: int = MAX_BLOCKS
) -> None:
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


class FakeSlack:
    """A Slack workspace with one bot installed, served on 127.0.0.1 at a free port.

    Web API at `api_url`, `url_private` downloads, slash-command `response_url`s and a Socket Mode
    websocket at `url`. The `add_*` and `post_message` helpers set up the workspace directly; the
    `user_says`, `slash_command`, `block_action` and `socket_*` helpers do what Slack does when a
    person acts, delivering to the bot.
    """

    # Slack's published per-minute limits (per workspace and app) for the methods served here.
    # Tier 3 = 50, Tier 4 = 100; assistant.threads.setStatus is a special tier of 600. The stream
    # start/stop tiers are not confirmed from Slack's docs: Tier 3 is assumed; appendStream is Tier 4.
    # chat.getPermalink has "special" limits Slack doesn't publish: Tier 4 is assumed.
    TIER_LIMITS: ClassVar[dict[str, int]] = {
        "assistant.threads.setStatus": 600,
        "auth.test": 100,
        "chat.appendStream": 100,
        "chat.delete": 50,
        "chat.postEphemeral": 100,
        "chat.startStream": 50,
        "chat.stopStream": 50,
        "chat.getPermalink": 100,
        "chat.update": 50,
        "conversations.history": 50,
        "conversations.info": 50,
        "conversations.members": 100,
        "conversations.replies": 50,
        "files.info": 100,
        "users.info": 100,
        "users.list": 20,
        "views.open": 100,
        "views.publish": 100,
    }
    # Per channel: chat.postMessage is "about one message per second per channel, short bursts
    # allowed" (calls, seconds).
    CHANNEL_LIMITS: ClassVar[dict[str, tuple[int, float]]] = {"chat.postMessage": (10, 10.0)}

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        signing_secret: str = "test-signing-secret",
        team_id: str = "T0TEAM",
        enterprise_id: str | None = None,
        team_domain: str = "acme",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        app_id: str = "A0APP",
        latency: float = 0.0,
        rate_limits: dict[str, int] | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.enterprise_id = enterprise_id
        self.team_domain = team_domain
        self.team_name = team_domain.capitalize()
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.verification_token = "fake-verification-token"
        # Behaviour knobs, settable at any time.
        self.latency = latency  # seconds added before every Web API answer
        self.rate_limits: dict[str, int] = dict(rate_limits or {})  # method -> calls per window per team
        self.rate_window = 60.0  # seconds; shorten it to test recovery from a 429 quickly
        self.channel_rate_limits: dict[str, tuple[int, float]] = {}  # method -> (calls, seconds) per channel
        self.stream_lifetime = 300.0  # seconds after chat.startStream that Slack ends a stream
        self.stream_mode: Literal["ok", "unsupported"] = "ok"
        self.file_mode: Literal["ok", "login_page"] = "ok"
        # Seconds after files.completeUploadExternal before an image block may show the file: Slack
        # processes uploads in the background and answers invalid_blocks until it is done.
        self.upload_processing_seconds = 0.0
        # Message timestamps from the wall clock (still strictly increasing), as Slack's are: a
        # workspace restarted next to a database that remembers its messages gets new ones.
        self.clock_timestamps = False
        # method -> answers to give before serving it normally: an HTTP status (500, 503 …) or
        # a Slack error string ("channel_not_found" …) for an `ok: false` answer.
        self.faults: dict[str, list[int | str]] = {}
        # OAuth: the app's credentials, and which team each (single-use) code installs into.
        self.client_id = "1111.2222"
        self.client_secret = "test-client-secret"
        self.oauth_codes: dict[str, str] = {"good-code": team_id}
        self.installer_user_id = "U1"
        # Token rotation: installs hand out expiring tokens and single-use refresh tokens.
        self.token_rotation = False
        self.token_lifetime = 43_200  # seconds, as Slack's rotating tokens
        self.refreshes: list[str] = []  # the team of each refresh Slack granted
        self.refused_refreshes = 0  # refresh tokens presented a second time
        self._refresh_tokens: dict[str, str | None] = {}  # refresh token -> its team, None once spent

        self.url = ""
        self.api_url = ""
        # What happened, for assertions.
        self.calls: list[Call] = []
        self.rate_limited = 0
        self.rate_limited_by_method: Counter[str] = Counter()
        self.deliveries: list[Delivery] = []
        self.file_downloads: list[tuple[str, str | None]] = []
        self.uploads: list[tuple[str, str | None]] = []  # (file id, Authorization) of each upload POST
        self.ephemeral: list[JSON] = []
        self.views: dict[str, JSON] = {}
        self.opened_views: list[JSON] = []
        self.statuses: list[JSON] = []
        self.titles: list[JSON] = []
        self.suggested_prompts: list[JSON] = []
        # Called after every change a viewer could see (a Web API call, which is passed along, a
        # person's message, a response_url answer), so `bot sandbox` can push live updates.
        self.observers: list[Callable[[Call | None], None]] = []
        # Workspace state.
        self.users: dict[str, JSON] = {}
        self.channels: dict[str, JSON] = {}
        self.files: dict[str, JSON] = {}
        # channel -> its members' user ids; a channel not in here has everyone (the bot included).
        self.members: dict[str, set[str]] = {}

        self._tokens: dict[str, str] = {bot_token: team_id}  # bot token -> its team
        self._messages: dict[str, dict[str, JSON]] = {}  # channel -> ts -> message, in ts order
        self._replies: dict[tuple[str, str], dict[str, JSON]] = {}  # (channel, thread ts) -> ts -> reply
        self._edits: dict[tuple[str, str], list[str]] = {}
        self._streams: dict[tuple[str, str], float] = {}  # open streams -> when started
        self._file_content: dict[str, bytes] = {}
        self._pending_uploads: dict[str, JSON] = {}  # upload URL key -> what getUploadURLExternal was told
        self._processed_at: dict[str, float] = {}  # file id -> when an image block may show it
        self._redirects: dict[str, str] = {}
        self._response_urls: dict[str, JSON] = {}  # id -> who and where the command or click came from
        self._triggers: set[str] = set()
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_turns = itertools.count()
        self._acks: dict[str, asyncio.Future[JSON]] = {}
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._counter = itertools.count(1)
        self._last_ts_micros = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._handlers: dict[str, Callable[[JSON, str], JSON]] = {
            "apps.connections.open": self._apps_connections_open,
            "assistant.threads.setStatus": self._set_status,
            "assistant.threads.setSuggestedPrompts": self._set_suggested_prompts,
            "assistant.threads.setTitle": self._set_title,
            "auth.test": self._auth_test,
            "chat.appendStream": self._append_stream,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.postMessage": self._post_message,
            "chat.startStream": self._start_stream,
            "chat.stopStream": self._stop_stream,
            "chat.update": self._chat_update,
            "chat.getPermalink": self._get_permalink,
            "conversations.history": self._conversations_history,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.replies": self._conversations_replies,
            "files.completeUploadExternal": self._complete_upload,
            "files.delete": self._files_delete,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.info": self._files_info,
            "oauth.v2.access": self._oauth_v2_access,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "views.open": self._views_open,
            "views.publish": self._views_publish,
        }
        self.add_user(bot_user_id, "claude", real_name="Claude", is_bot=True, bot_id=bot_id)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._on_api)
        app.router.add_get("/files-pri/{key}/{name}", self._on_file)
        app.router.add_get("/files-pri/{key}/download/{name}", self._on_file)
        app.router.add_post("/response/{id}", self._on_response_url)
        app.router.add_post("/upload/v1/{key}", self._on_upload)
        app.router.add_get("/socket", self._on_socket)
        # By shutdown the listener is closed, so a Socket Mode client can't reconnect in between.
        app.on_shutdown.append(self._close_sockets)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        # A deep backlog: benchmarks open many connections at the same instant.
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/"
        self.api_url = f"{self.url}api/"
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30), headers={"User-Agent": SLACK_USER_AGENT}
        )

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ setting up the workspace

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        display_name: str = "",
        real_name: str = "",
        is_bot: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
        bot_id: str | None = None,
        locale: str = "en-US",
    ) -> JSON:
        """Adds a user; returns the stored object, so a test can change it (say, `deleted`).
        `locale` is only answered to `users.info` with `include_locale`, as Slack does."""
        real = real_name or display_name or name
        profile: JSON = {
            "display_name": display_name,
            "display_name_normalized": display_name,
            "real_name": real,
            "real_name_normalized": real,
            "team": self.team_id,
        }
        if bot_id:
            profile["bot_id"] = bot_id
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real,
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": is_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "profile": profile,
            "locale": locale,
        }
        return self.users[user_id]

    def add_channel(
        self,
        channel_id: str,
        name: str = "",
        *,
        is_im: bool = False,
        user: str | None = None,
        is_private: bool = False,
        is_mpim: bool = False,
        members: list[str] | None = None,
    ) -> JSON:
        """Adds a conversation; a DM has `is_im`, an id starting with "D" and `user`, the other member.

        `members`: who is in it (the bot only when listed); left out, everyone is. The bot's DM
        with `user` has the two of them; a DM between two people (`members`, no bot) is one the
        bot can't see at all, as in Slack."""
        if members is not None:
            self.members[channel_id] = set(members)
        elif is_im and user:
            self.members[channel_id] = {self.bot_user_id, user}
        channel: JSON = {
            "id": channel_id,
            "created": int(time.time()),
            "is_channel": not (is_im or is_mpim),
            "is_group": is_mpim or is_private,
            "is_im": is_im,
            "is_mpim": is_mpim,
            "is_private": is_im or is_mpim or is_private,
            "is_archived": False,
            "is_general": False,
            "is_member": True,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "context_team_id": self.team_id,
        }
        if is_im:
            channel.update(user=user, is_open=True, is_user_deleted=False)
        else:
            channel.update(name=name or channel_id.lower(), name_normalized=name or channel_id.lower())
        self.channels[channel_id] = channel
        return channel

    def add_file(
        self,
        content: bytes,
        name: str,
        *,
        mimetype: str = "application/octet-stream",
        filetype: str = "binary",
        size: int | None = None,
        file_id: str | None = None,
        title: str | None = None,
    ) -> JSON:
        """Uploads a file; returns Slack's file object. `size` is what Slack declares, not checked."""
        if not self.url:
            raise RuntimeError("start() the fake before adding files: their URLs name its port")
        file_id = file_id or f"F{self._next():010d}"
        base = f"{self.url}files-pri/{self.team_id}-{file_id}"
        now = int(time.time())
        self.files[file_id] = {
            "id": file_id,
            "created": now,
            "timestamp": now,
            "name": name,
            "title": title or name,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user_team": self.team_id,
            "editable": False,
            "size": len(content) if size is None else size,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": True,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base}/{quote(name)}",
            "url_private_download": f"{base}/download/{quote(name)}",
            "permalink": f"https://{self.team_domain}.slack.com/files/{file_id}/{quote(name)}",
            "has_rich_preview": False,
            "file_access": "visible",
        }
        self._file_content[file_id] = content
        return self.files[file_id]

    def redirect_file(self, file_id: str, location: str) -> None:
        """Downloads of that file answer 302 to `location` (to test where the bot sends its token)."""
        self._redirects[file_id] = location

    def post_message(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        files: list[JSON] | None = None,
        subtype: str | None = None,
        bot_id: str | None = None,
        blocks: list[JSON] | None = None,
        metadata: JSON | None = None,
    ) -> JSON:
        """Stores a message as a person (or, with `bot_id`, another bot) posted it; delivers nothing.

        Unknown channels and users are created on the way ("D…" ids become DMs with `user`).
        Returns a copy of the stored message, with its new `ts`.
        """
        if channel not in self.channels:
            is_im = channel.startswith("D")
            self.add_channel(channel, is_im=is_im, user=user if is_im else None)
        if user not in self.users:
            self.add_user(user, user.lower(), is_bot=bot_id is not None, bot_id=bot_id)
        message: JSON = {"type": "message", "user": user, "text": text, "team": self.team_id}
        if bot_id:
            message["bot_id"] = bot_id
            message["bot_profile"] = {
                "id": bot_id,
                "app_id": f"A{bot_id}",
                "name": self.users[user]["name"],
                "deleted": False,
                "team_id": self.team_id,
            }
        else:
            message["client_msg_id"] = str(uuid.uuid4())
        if subtype:
            message["subtype"] = subtype
        if files:
            for file in files:
                self.files[file["id"]]["user"] = user
            message.update(files=[{**copy.deepcopy(f), "user": user} for f in files], upload=True)
            message["display_as_bot"] = False
        if blocks:
            message["blocks"] = copy.deepcopy(blocks)
        if metadata:
            message["metadata"] = copy.deepcopy(metadata)
        stored = self._store(channel, message, thread_ts)
        self._notify(None)
        return self._render(channel, stored, metadata=True)

    # ------------------------------------------------------------------ reading the workspace

    def calls_to(self, *methods: str) -> list[Call]:
        return [call for call in self.calls if call.method in methods]

    @staticmethod
    def param(call: Call, name: str) -> Any:
        """A call's argument, JSON-decoded when it came as a JSON string (blocks, metadata, chunks)."""
        return _decoded(call.params.get(name))

    def thread(self, channel: str, thread_ts: str) -> list[JSON]:
        """The thread as it stands: parent first, then replies by ts, edits applied, deletions gone."""
        return [self._render(channel, m, metadata=True) for m in self._thread(channel, thread_ts)]

    def messages(self, channel: str) -> list[JSON]:
        """Every message of the channel, thread replies included, by ts."""
        return [self._render(channel, m, metadata=True) for m in self._messages.get(channel, {}).values()]

    def bot_messages(self, channel: str, thread_ts: str | None = None) -> list[JSON]:
        messages = self.thread(channel, thread_ts) if thread_ts else self.messages(channel)
        return [m for m in messages if m.get("user") == self.bot_user_id]

    def edits(self, channel: str, ts: str) -> list[str]:
        """The text after each chat.update of that message, in order (the original text not included)."""
        return list(self._edits.get((channel, ts), []))

    def is_member(self, channel: str, user: str) -> bool:
        members = self.members.get(channel)
        return members is None or user in members

    def permalink(self, channel: str, ts: str) -> str:
        """The message's link as Slack's "Copy link" gives it (a reply's names its thread)."""
        message = self._messages.get(channel, {}).get(ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel}"
        return link

    def dm_with(self, user: str) -> str | None:
        """The id of the DM between the bot and `user`, if there is one."""
        return next((c["id"] for c in self.channels.values() if c["is_im"] and c.get("user") == user), None)

    def file_content(self, file_id: str) -> bytes:
        """An uploaded file's bytes, for a viewer that has no bot token to download it with."""
        return self._file_content[file_id]

    def is_streaming(self, channel: str, ts: str) -> bool:
        started = self._streams.get((channel, ts))
        return started is not None and time.monotonic() - started < self.stream_lifetime

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01
    ) -> Any:
        """Polls `predicate` (plain or async) until it returns something truthy, and returns that."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if time.monotonic() >= deadline:
                recent = ", ".join(f"{c.method}={c.ok}" for c in self.calls[-10:]) or "none"
                name = getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(
                    f"condition {name} still false after {timeout:.1f}s (last value {value!r}); "
                    f"last Web API calls: {recent}"
                )
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ delivering to the bot over HTTP

    async def send_event(
        self,
        bot_url: str,
        event: JSON,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        bad_signature: bool = False,
        timestamp: int | None = None,
        raw_body: bytes | None = None,
    ) -> tuple[int, str]:
        """POSTs `event` wrapped in an `event_callback` envelope, signed; returns (status, body)."""
        body = self._callback_body(event, event_id)
        raw = json.dumps(body).encode() if raw_body is None else raw_body
        headers = {"Content-Type": "application/json"}
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        return await self._deliver(
            "event", bot_url, body, raw, headers, bad_signature=bad_signature, timestamp=timestamp
        )

    async def user_says(
        self,
        bot_url: str,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        files: list[JSON] | None = None,
        also_to: tuple[str, ...] = (),
    ) -> JSON:
        """A person posts: stores the message, then delivers what Slack would (app_mention first).

        With `also_to`, each event reaches those bot URLs too, at the same moment and under the
        same event id, as when Slack's retry of an event lands on another replica."""
        message = self.post_message(channel, user, text, thread_ts=thread_ts, files=files)
        for event in self._events_for(channel, message):
            event_id = f"Ev{self._next():08d}"
            await asyncio.gather(
                *(self.send_event(url, event, event_id=event_id) for url in (bot_url, *also_to))
            )
        return message

    async def slash_command(
        self, bot_url: str, text: str, *, command: str = "/claude", user: str = "U1", channel: str = "C1"
    ) -> tuple[int, str]:
        """POSTs a slash command as Slack does (signed form fields); returns (status, body)."""
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": self._channel_name(channel),
            "user_id": user,
            "user_name": self._user_name(user),
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": self._response_url({"channel": channel, "user": user}),
            "trigger_id": self._trigger(),
        }
        if self.enterprise_id:
            fields.update(enterprise_id=self.enterprise_id, enterprise_name=self.enterprise_id)
        return await self._deliver("command", bot_url, fields, urlencode(fields).encode(), FORM)

    async def block_action(
        self,
        bot_url: str,
        *,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        value: str = "",
        thread_ts: str | None = None,
        block_id: str = "b",
        element_type: str = "button",
        team: str | None = None,
    ) -> tuple[int, str]:
        """POSTs a button click on a message (a signed `block_actions` payload); returns (status, body).
        `team`: the clicker's workspace when it isn't this one, as in a Slack Connect channel."""
        team_id = team or self.team_id
        stored = self._messages.get(channel, {}).get(message_ts)
        message = (
            self._render(channel, stored, metadata=True) if stored else {"type": "message", "ts": message_ts}
        )
        container: JSON = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        thread_ts = thread_ts or message.get("thread_ts")
        if thread_ts:
            container["thread_ts"] = thread_ts
        name = self._user_name(user)
        # Where Slack shows an ephemeral answer to the click: beside the message, in its thread.
        reply_to = {"channel": channel, "user": user, "message_ts": message_ts, "thread_ts": thread_ts}
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": name, "name": name, "team_id": team_id},
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "container": container,
            "trigger_id": self._trigger(),
            "team": {"id": team_id, "domain": self.team_domain if team is None else team_id.lower()},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": self._channel_name(channel)},
            "message": message,
            "state": {"values": {}},
            "response_url": self._response_url(reply_to),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": {"type": "plain_text", "text": action_id},
                    "value": value,
                    "type": element_type,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        raw = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._deliver("action", bot_url, payload, raw, FORM)

    async def message_shortcut(
        self, bot_url: str, *, user: str, channel: str, message_ts: str, callback_id: str
    ) -> tuple[int, str]:
        """A person picks one of the app's shortcuts from a message's menu (a signed
        `message_action` payload, whether or not the bot is in that conversation: Slack offers an
        app's message shortcuts everywhere); returns (status, body)."""
        stored = self._messages.get(channel, {}).get(message_ts)
        if stored is None:
            raise AssertionError(f"no message {message_ts} in {channel}")
        name = self._user_name(user)
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": self._trigger(),
            "action_ts": f"{time.time():.6f}",
            "message_ts": message_ts,
            "message": self._render(channel, stored, metadata=False),
            "channel": {"id": channel, "name": self._channel_name(channel)},
            "user": {"id": user, "username": name, "name": name, "team_id": self.team_id},
            "team": {"id": self.team_id, "domain": self.team_domain},
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "response_url": self._response_url({"channel": channel, "user": user}),
            "enterprise": None,
            "is_enterprise_install": False,
        }
        raw = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._deliver("action", bot_url, payload, raw, FORM)

    async def view_submission(
        self, bot_url: str, view: JSON, *, user: str, values: dict[str, dict[str, str | None]]
    ) -> tuple[int, str]:
        """POSTs the submission of an opened modal (a signed `view_submission` payload) with `values`
        typed into its inputs (block_id -> action_id -> text, None when left empty); returns
        (status, body), the body carrying the bot's `response_action`, if any."""
        state = {
            block: {action: {"type": "plain_text_input", "value": text} for action, text in fields.items()}
            for block, fields in values.items()
        }
        name = self._user_name(user)
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": {"id": user, "username": name, "name": name, "team_id": self.team_id},
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "trigger_id": self._trigger(),
            "view": {**copy.deepcopy(view), "state": {"values": state}},
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        raw = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._deliver("action", bot_url, payload, raw, FORM)

    async def press_feedback(
        self, bot_url: str, *, user: str, channel: str, message_ts: str, positive: bool
    ) -> tuple[int, str]:
        """Presses 👍 (or 👎) in the message's feedback buttons, as Slack reports it to the app."""
        stored = self._messages.get(channel, {}).get(message_ts) or {}
        for block in stored.get("blocks") or []:
            for element in block.get("elements") or [] if block.get("type") == "context_actions" else []:
                if element.get("type") == "feedback_buttons":
                    button = element["positive_button" if positive else "negative_button"]
                    return await self.block_action(
                        bot_url,
                        user=user,
                        channel=channel,
                        message_ts=message_ts,
                        action_id=element.get("action_id", ""),
                        value=button["value"],
                        block_id=block.get("block_id", "b"),
                        element_type="feedback_buttons",
                    )
        raise AssertionError(f"no feedback buttons on message {message_ts} in {channel}")

    async def start_assistant_thread(
        self, bot_url: str, user: str, *, context_channel: str | None = None
    ) -> JSON:
        """The person opens the AI app pane (beside `context_channel`, if given): Slack starts a
        thread in their DM with the app and sends `assistant_thread_started`. Returns its root."""
        dm = self.dm_with(user) or self.add_channel(f"D{user}", is_im=True, user=user)["id"]
        root = self.post_message(dm, user, "New chat", subtype="assistant_app_thread")
        await self.send_event(
            bot_url, self._assistant_event("assistant_thread_started", user, dm, root["ts"], context_channel)
        )
        return root

    async def change_assistant_context(
        self, bot_url: str, user: str, *, thread_ts: str, context_channel: str
    ) -> tuple[int, str]:
        """The person, with the pane open, switches to another channel."""
        dm = self.dm_with(user) or ""
        event = self._assistant_event(
            "assistant_thread_context_changed", user, dm, thread_ts, context_channel
        )
        return await self.send_event(bot_url, event)

    async def open_app_home(self, bot_url: str, user: str, *, tab: str = "home") -> tuple[int, str]:
        """The person opens the app's Home (or Messages) tab."""
        event: JSON = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.dm_with(user) or f"D{user}",
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
        if user in self.views:
            event["view"] = copy.deepcopy(self.views[user])
        return await self.send_event(bot_url, event)

    def _assistant_event(
        self, kind: str, user: str, dm: str, thread_ts: str, context_channel: str | None
    ) -> JSON:
        context: JSON = {}
        if context_channel:
            context = {
                "channel_id": context_channel,
                "team_id": self.team_id,
                "enterprise_id": self.enterprise_id,
            }
        return {
            "type": kind,
            "assistant_thread": {
                "user_id": user,
                "context": context,
                "channel_id": dm,
                "thread_ts": thread_ts,
            },
            "event_ts": f"{time.time():.6f}",
        }

    # ------------------------------------------------------------------ delivering over Socket Mode

    async def socket_connected(self, count: int = 1) -> bool:
        return sum(not ws.closed for ws in self._sockets) >= count

    async def socket_send(
        self, payload: JSON, *, type_: str = "events_api", timeout: float = 5.0
    ) -> JSON | None:
        """Sends an envelope to a connected client, taking turns among them as Slack spreads events
        over an app's connections; returns its ack's payload ({} if none), or None when no ack came
        within `timeout`."""
        live = [ws for ws in self._sockets if not ws.closed]
        if not live:
            raise RuntimeError("no Socket Mode client is connected")
        ws = live[next(self._socket_turns) % len(live)]
        envelope_id = str(uuid.uuid4())
        ack: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = ack
        sent = time.monotonic()
        try:
            await ws.send_json(
                {
                    "envelope_id": envelope_id,
                    "payload": payload,
                    "type": type_,
                    "accepts_response_payload": type_ == "slash_commands",
                    "retry_attempt": 0,
                    "retry_reason": "",
                }
            )
            answer: JSON | None = await asyncio.wait_for(ack, timeout)
        except TimeoutError:
            answer = None
        finally:
            self._acks.pop(envelope_id, None)
        self.deliveries.append(
            Delivery(
                "socket",
                payload,
                sent,
                time.monotonic() - sent,
                0 if answer is None else 200,
                json.dumps(answer),
            )
        )
        return None if answer is None else answer.get("payload") or {}

    async def socket_user_says(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        files: list[JSON] | None = None,
    ) -> JSON:
        """`user_says`, delivered over Socket Mode."""
        message = self.post_message(channel, user, text, thread_ts=thread_ts, files=files)
        for event in self._events_for(channel, message):
            await self.socket_send(self._callback_body(event, None))
        return message

    # ------------------------------------------------------------------ internals: state

    def _next(self) -> int:
        return next(self._counter)

    def _notify(self, call: Call | None) -> None:
        for observer in self.observers:
            observer(call)

    def new_ts(self) -> str:
        """A message timestamp after every one handed out so far (also for what the fake only
        records, so a viewer can show it in time order)."""
        n = self._next()
        if not self.clock_timestamps:
            return f"{FIRST_TS_SECONDS + n}.{n % 1_000_000:06d}"
        micros = max(time.time_ns() // 1_000, self._last_ts_micros + 1)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _store(self, channel: str, message: JSON, thread_ts: str | None) -> JSON:
        message["ts"] = self.new_ts()
        if thread_ts:
            parent = self._messages.get(channel, {}).get(thread_ts)
            # A reply's ts names its thread: Slack files the new reply under the thread's parent.
            root = parent.get("thread_ts", thread_ts) if parent else thread_ts
            message["thread_ts"] = root
            root_message = self._messages.get(channel, {}).get(root)
            if root_message:
                message["parent_user_id"] = root_message.get("user")
            self._replies.setdefault((channel, root), {})[message["ts"]] = message
        self._messages.setdefault(channel, {})[message["ts"]] = message
        return message

    def _remove(self, channel: str, message: JSON) -> None:
        ts = message["ts"]
        self._streams.pop((channel, ts), None)
        if "thread_ts" not in message and self._replies.get((channel, ts)):
            # A parent with replies leaves a tombstone, so the thread stays readable.
            message.clear()
            message.update(
                type="message",
                subtype="tombstone",
                text="This message was deleted.",
                user="USLACKBOT",
                hidden=True,
                ts=ts,
            )
            return
        del self._messages[channel][ts]
        if "thread_ts" in message:
            replies = self._replies[(channel, message["thread_ts"])]
            del replies[ts]
            if not replies:
                del self._replies[(channel, message["thread_ts"])]

    def _thread(self, channel: str, ts: str) -> list[JSON]:
        message = self._messages.get(channel, {}).get(ts)
        if message is None:
            return []
        root_ts = message.get("thread_ts", ts)
        root = self._messages[channel].get(root_ts)
        replies = list(self._replies.get((channel, root_ts), {}).values())
        return ([root] if root else []) + replies

    def _render(self, channel: str, message: JSON, *, metadata: bool) -> JSON:
        """A message as Slack answers it: thread summary on parents, metadata only when asked for."""
        out = copy.deepcopy(message)
        if not metadata:
            out.pop("metadata", None)
        replies = self._replies.get((channel, message["ts"]))
        if replies and "thread_ts" not in message:
            users = list(dict.fromkeys(reply["user"] for reply in replies.values()))
            out.update(
                thread_ts=message["ts"],
                reply_count=len(replies),
                reply_users_count=len(users),
                latest_reply=next(reversed(replies)),
                reply_users=users,
                is_locked=False,
                subscribed=False,
            )
        return out

    def _bot_profile(self) -> JSON:
        return {
            "id": self.bot_id,
            "app_id": self.app_id,
            "name": self.users[self.bot_user_id]["name"],
            "icons": {"image_36": "", "image_48": "", "image_72": ""},
            "deleted": False,
            "updated": FIRST_TS_SECONDS,
            "team_id": self.team_id,
        }

    def _bot_message(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None,
        blocks: list[JSON] | None,
        metadata: JSON | None,
    ) -> JSON:
        message: JSON = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": text,
            "team": self.team_id,
            "bot_profile": self._bot_profile(),
        }
        if blocks:
            message["blocks"] = blocks
        if metadata:
            message["metadata"] = metadata
        return self._store(channel, message, thread_ts)

    def _channel_name(self, channel: str) -> str:
        info = self.channels.get(channel)
        if info is None:
            return channel.lower()
        return "directmessage" if info["is_im"] else info["name"]

    def _user_name(self, user: str) -> str:
        return self.users[user]["name"] if user in self.users else user.lower()

    def _response_url(self, context: JSON) -> str:
        response_id = str(self._next())
        self._response_urls[response_id] = context
        return f"{self.url}response/{response_id}"

    def _trigger(self) -> str:
        trigger = f"{self._next()}.{int(time.time())}.{secrets.token_hex(16)}"
        self._triggers.add(trigger)
        return trigger

    def _callback_body(self, event: JSON, event_id: str | None) -> JSON:
        context = {
            "et": event.get("type"),
            "tid": self.team_id,
            "aid": self.app_id,
            "cid": event.get("channel"),
        }
        body: JSON = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{self._next():08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-"
            + base64.urlsafe_b64encode(json.dumps(context).encode()).decode().rstrip("="),
        }
        if self.enterprise_id:
            body["enterprise_id"] = self.enterprise_id
        return body

    def _events_for(self, channel: str, message: JSON) -> list[JSON]:
        """What Slack sends an app subscribed to message events and app_mention for one new message."""
        info = self.channels[channel]
        shared = {
            key: copy.deepcopy(message[key])
            for key in ("user", "text", "ts", "team", "client_msg_id", "thread_ts", "parent_user_id", "files")
            if key in message
        }
        if not self.is_member(channel, self.bot_user_id):
            return []  # Slack sends an app nothing from a conversation its bot is not in
        kinds = (("im", info["is_im"]), ("mpim", info["is_mpim"]), ("group", info["is_private"]))
        channel_type = next((kind for kind, applies in kinds if applies), "channel")
        event: JSON = {"type": "message", **shared, "channel": channel, "event_ts": message["ts"]}
        event["channel_type"] = channel_type
        if "files" in message:
            event.update(subtype="file_share", upload=False, display_as_bot=False)
        if info["is_im"] or f"<@{self.bot_user_id}>" not in message["text"]:
            return [event]
        mention: JSON = {
            "type": "app_mention",
            **copy.deepcopy(shared),
            "channel": channel,
            "event_ts": message["ts"],
        }
        return [mention, event]

    async def _deliver(
        self,
        kind: Literal["event", "command", "action"],
        url: str,
        body: JSON,
        raw: bytes,
        headers: dict[str, str],
        *,
        bad_signature: bool = False,
        timestamp: int | None = None,
    ) -> tuple[int, str]:
        if self._session is None:
            raise RuntimeError("start() the fake first")
        stamp = int(time.time()) if timestamp is None else timestamp
        secret = f"not-{self.signing_secret}" if bad_signature else self.signing_secret
        signed = {
            **headers,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": _signature(secret, stamp, raw),
        }
        sent = time.monotonic()
        async with self._session.post(url, data=raw, headers=signed) as response:
            text = await response.text()
        self.deliveries.append(Delivery(kind, body, sent, time.monotonic() - sent, response.status, text))
        return response.status, text

    # ------------------------------------------------------------------ internals: HTTP routes

    async def _on_api(self, request: web.Request) -> web.Response:
        received = time.monotonic()
        method = request.match_info["method"]
        params = await _read_params(request)
        authorization = request.headers.get("Authorization", "")
        token = _bearer(authorization) or params.get("token")
        params.pop("token", None)
        if authorization.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            params.setdefault("client_id", client_id)
            params.setdefault("client_secret", client_secret)
        status, answer, headers = self._dispatch(method, params, token, received)
        call = Call(method, params, received, status, answer.get("ok"))
        self.calls.append(call)
        self._notify(call)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        return web.json_response(answer, status=status, headers=headers)

    def _dispatch(
        self, method: str, params: JSON, token: str | None, now: float
    ) -> tuple[int, JSON, dict[str, str]]:
        handler = self._handlers.get(method)
        try:
            if handler is None:
                raise _SlackError("unknown_method")
            team = self._authenticate(method, token)
            pending = self.faults.get(method)
            if pending:
                fault = pending.pop(0)
                if isinstance(fault, int):
                    return fault, {"ok": False, "error": "fatal_error"}, {}
                raise _SlackError(fault)
            retry_after = self._throttle(team, method, now, str(params.get("channel") or ""))
            if retry_after is not None:
                self.rate_limited += 1
                self.rate_limited_by_method[method] += 1
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
            return 200, handler(params, team), {}
        except _SlackError as error:
            return 200, {"ok": False, "error": error.error}, {}

    def _authenticate(self, method: str, token: str | None) -> str:
        """The team the call acts for. Slack checks the token's type per method."""
        if method in CLIENT_CREDENTIAL_METHODS:
            return self.team_id
        if not token:
            raise _SlackError("not_authed")
        if method in APP_TOKEN_METHODS:
            if token == self.app_token:
                return self.team_id
            raise _SlackError("not_allowed_token_type" if token in self._tokens else "invalid_auth")
        team = self._tokens.get(token)
        if team is None:
            raise _SlackError("not_allowed_token_type" if token == self.app_token else "invalid_auth")
        return team

    def _throttle(self, team: str, method: str, now: float, channel: str) -> int | None:
        """Seconds to wait when the call is over a limit: sliding windows per team and method, and
        per channel for the methods Slack limits per channel. A refused call doesn't count."""
        windows: list[tuple[deque[float], int, float]] = []
        limit = self.rate_limits.get(method)
        if limit is not None:
            windows.append((self._windows.setdefault((team, method), deque()), limit, self.rate_window))
        per_channel = self.channel_rate_limits.get(method)
        if per_channel is not None:
            calls, seconds = per_channel
            windows.append((self._windows.setdefault((team, f"{method}#{channel}"), deque()), calls, seconds))
        for window, calls, seconds in windows:
            while window and window[0] <= now - seconds:
                window.popleft()
            if len(window) >= calls:
                return max(1, math.ceil(window[0] + seconds - now))
        for window, _, _ in windows:
            window.append(now)
        return None

    def enforce_published_limits(self) -> None:
        """Slack's published limits from now on: the tiers per workspace, and per channel."""
        self.rate_limits = dict(self.TIER_LIMITS)
        self.channel_rate_limits = dict(self.CHANNEL_LIMITS)

    async def _on_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["key"].rpartition("-")[2]
        authorization = request.headers.get("Authorization")
        self.file_downloads.append((file_id, authorization))
        file = self.files.get(file_id)
        if file is None:
            return web.Response(status=404, text="file not found")
        if file_id in self._redirects:
            return web.Response(status=302, headers={"Location": self._redirects[file_id]})
        if self.file_mode == "login_page" or _bearer(authorization) not in self._tokens:
            return web.Response(text=LOGIN_PAGE, content_type="text/html")
        headers = {}
        if request.path.startswith(f"/files-pri/{request.match_info['key']}/download/"):
            headers["Content-Disposition"] = f'attachment; filename="{file["name"]}"'
        return web.Response(body=self._file_content[file_id], content_type=file["mimetype"], headers=headers)

    async def _on_upload(self, request: web.Request) -> web.Response:
        """An upload URL from files.getUploadURLExternal: the bytes, raw or as a multipart form."""
        upload = self._pending_uploads.get(request.match_info["key"])
        if upload is None:
            return web.Response(status=404, text="upload not found")
        self.uploads.append((upload["file_id"], request.headers.get("Authorization")))
        if request.content_type == "multipart/form-data":
            form = await request.post()
            part = next((v for v in form.values() if isinstance(v, web.FileField)), None)
            content = part.file.read() if part is not None else b""
        else:
            content = await request.read()
        if len(content) != upload["length"]:
            return web.Response(status=400, text=f"expected {upload['length']} bytes, got {len(content)}")
        upload["content"] = content
        return web.Response(text=f"OK - {len(content)}")

    async def _on_response_url(self, request: web.Request) -> web.Response:
        response_id = request.match_info["id"]
        context = self._response_urls.get(response_id)
        if context is None:
            return web.Response(status=404, text="invalid_url")
        body = await request.json()
        self.ephemeral.append(
            {**body, "source": "response_url", "response_url": response_id, **context, "ts": self.new_ts()}
        )
        message = self._messages.get(context["channel"], {}).get(context.get("message_ts", ""))
        if message is not None:
            if body.get("delete_original"):
                self._remove(context["channel"], message)
            elif body.get("replace_original"):
                message["text"] = body.get("text", "")
                if "blocks" in body:
                    message["blocks"] = body["blocks"]
        self._notify(None)
        return web.Response(text="ok")

    async def _on_socket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(timeout=1.0)
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {
                        "host": "applink-fake",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_socket_message(message.data)
        finally:
            self._sockets.remove(ws)
        return ws

    def _on_socket_message(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except ValueError:
            return
        future = self._acks.get(ack.get("envelope_id", "")) if isinstance(ack, dict) else None
        if future is not None and not future.done():
            future.set_result(ack)

    async def _close_sockets(self, _app: web.Application) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")

    # ------------------------------------------------------------------ internals: Web API methods

    def _channel(self, params: JSON, key: str = "channel") -> JSON:
        channel = self.channels.get(str(params.get(key) or ""))
        if channel is None:
            raise _SlackError("channel_not_found")
        return channel

    def _readable(self, params: JSON) -> JSON:
        """A conversation the bot may read, as Slack decides it: a private one (channel, DM, group
        DM) the bot isn't in doesn't exist for it; a public one it isn't in can't be read."""
        channel = self._channel(params)
        if not self.is_member(channel["id"], self.bot_user_id):
            raise _SlackError("channel_not_found" if channel["is_private"] else "not_in_channel")
        return channel

    def _message(self, channel: str, params: JSON) -> JSON:
        message = self._messages.get(channel, {}).get(str(params.get("ts") or ""))
        if message is None:
            raise _SlackError("message_not_found")
        return message

    def _own_message(self, channel: str, params: JSON, error: str) -> JSON:
        message = self._message(channel, params)
        if message.get("user") != self.bot_user_id:
            raise _SlackError(error)
        return message

    def _content(self, params: JSON) -> tuple[str | None, list[JSON] | None]:
        """A message's text (markdown_text or text) and blocks, checked as chat.postMessage checks them."""
        text, markdown = params.get("text"), params.get("markdown_text")
        blocks = _decoded(params.get("blocks"))
        if markdown and (text or blocks):
            raise _SlackError("invalid_arguments")
        if not (text or markdown or blocks or params.get("attachments")):
            raise _SlackError("no_text")
        if (text and len(text) > MAX_TEXT) or (markdown and len(markdown) > MAX_MARKDOWN_TEXT):
            raise _SlackError("msg_too_long")
        if blocks is not None:
            _check_blocks(blocks, self._image_shown)
        return markdown or text, blocks

    def _open_stream(self, params: JSON) -> tuple[str, JSON]:
        channel = self._channel(params)["id"]
        message = self._message(channel, params)
        started = self._streams.get((channel, message["ts"]))
        if started is None or time.monotonic() - started >= self.stream_lifetime:
            self._streams.pop((channel, message["ts"]), None)
            raise _SlackError("message_not_in_streaming_state")
        return channel, message

    def _auth_test(self, params: JSON, team: str) -> JSON:
        home = team == self.team_id
        answer: JSON = {
            "ok": True,
            "url": f"https://{self.team_domain if home else team.lower()}.slack.com/",
            "team": self.team_name if home else team,
            "user": self.users[self.bot_user_id]["name"],
            "team_id": team,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }
        if self.enterprise_id and home:
            answer["enterprise_id"] = self.enterprise_id
        return answer

    def _apps_connections_open(self, params: JSON, team: str) -> JSON:
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        ws_url = self.url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{ws_url}socket?ticket={ticket}&app_id={self.app_id}"}

    def _conversations_replies(self, params: JSON, team: str) -> JSON:
        """Slack's semantics: replies oldest first; `oldest` / `latest` bound them (exclusive unless
        `inclusive`); the parent always heads the first page, whatever the bounds, and counts
        towards `limit` (at most 1,000); pages after the first (`cursor`) carry replies only."""
        channel = self._readable(params)["id"]
        thread = self._thread(channel, str(params.get("ts") or ""))
        if not thread:
            raise _SlackError("thread_not_found")
        limit = _limit(params.get("limit"))
        inclusive = _truthy(params.get("inclusive"))
        oldest = _micros(params.get("oldest") or 0, "invalid_ts_oldest")
        latest = params.get("latest")
        newest = _micros(latest, "invalid_ts_latest") if latest not in (None, "") else None
        parent = [m for m in thread[:1] if "thread_ts" not in m or m["thread_ts"] == m["ts"]]
        replies = [
            m
            for m in thread[len(parent) :]
            if (_ts_key(m["ts"]) >= oldest if inclusive else _ts_key(m["ts"]) > oldest)
            and (newest is None or (_ts_key(m["ts"]) <= newest if inclusive else _ts_key(m["ts"]) < newest))
        ]
        if params.get("cursor"):
            after = _cursor_ts(params["cursor"])
            candidates = [m for m in replies if _ts_key(m["ts"]) >= after]
        else:
            candidates = parent + replies
        page, rest = candidates[:limit], candidates[limit:]
        metadata = _truthy(params.get("include_all_metadata"))
        return {
            "ok": True,
            "messages": [self._render(channel, m, metadata=metadata) for m in page],
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": _cursor(rest[0]["ts"]) if rest else ""},
        }

    def _post_message(self, params: JSON, team: str) -> JSON:
        channel = self._post_target(params)
        text, blocks = self._content(params)
        message = self._bot_message(
            channel,
            text or "",
            thread_ts=params.get("thread_ts") or None,
            blocks=blocks,
            metadata=_metadata(params),
        )
        if "thread_ts" in message and _truthy(params.get("reply_broadcast")):
            message["subtype"] = "thread_broadcast"
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "message": self._render(channel, message, metadata=True),
        }

    def _chat_update(self, params: JSON, team: str) -> JSON:
        channel = self._channel(params)["id"]
        message = self._own_message(channel, params, "cant_update_message")
        text, blocks = self._content(params)
        metadata = _metadata(params)
        if text is not None:
            message["text"] = text
        # Slack keeps the previous blocks unless new ones (possibly []) are given.
        if blocks is not None:
            message["blocks"] = blocks
        elif params.get("markdown_text"):
            message.pop("blocks", None)
        if metadata:
            message["metadata"] = metadata
        message["edited"] = {"user": self.bot_user_id, "ts": self.new_ts()}
        self._edits.setdefault((channel, message["ts"]), []).append(message["text"])
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": self._render(channel, message, metadata=True),
        }

    def _chat_delete(self, params: JSON, team: str) -> JSON:
        channel = self._channel(params)["id"]
        message = self._own_message(channel, params, "cant_delete_message")
        ts = message["ts"]
        self._remove(channel, message)
        return {"ok": True, "channel": channel, "ts": ts}

    def _post_ephemeral(self, params: JSON, team: str) -> JSON:
        channel = self._channel(params)["id"]
        text, blocks = self._content(params)
        ts = self.new_ts()
        self.ephemeral.append(
            {
                "source": "chat.postEphemeral",
                "channel": channel,
                "user": params.get("user"),
                "text": text or "",
                "blocks": blocks,
                "thread_ts": params.get("thread_ts"),
                "ts": ts,
            }
        )
        return {"ok": True, "message_ts": ts}

    def _start_stream(self, params: JSON, team: str) -> JSON:
        if self.stream_mode == "unsupported":
            raise _SlackError("unknown_method")
        channel = self._channel(params)
        if not params.get("thread_ts"):
            raise _SlackError("invalid_arguments")
        if not channel["is_im"]:
            if not params.get("recipient_user_id"):
                raise _SlackError("missing_recipient_user_id")
            if not params.get("recipient_team_id"):
                raise _SlackError("missing_recipient_team_id")
        text = _stream_text(params)
        message = self._bot_message(
            channel["id"], text, thread_ts=params["thread_ts"], blocks=None, metadata=None
        )
        self._streams[(channel["id"], message["ts"])] = time.monotonic()
        return {"ok": True, "channel": channel["id"], "ts": message["ts"]}

    def _append_stream(self, params: JSON, team: str) -> JSON:
        channel, message = self._open_stream(params)
        text = _stream_text(params)
        if not text:
            raise _SlackError("no_text")
        message["text"] += text
        return {"ok": True, "channel": channel, "ts": message["ts"]}

    def _stop_stream(self, params: JSON, team: str) -> JSON:
        channel, message = self._open_stream(params)
        message["text"] += _stream_text(params)
        blocks = _decoded(params.get("blocks"))
        if blocks is not None:
            _check_blocks(blocks, self._image_shown)
            message["blocks"] = blocks
        metadata = _metadata(params)
        if metadata:
            message["metadata"] = metadata
        del self._streams[(channel, message["ts"])]
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "message": self._render(channel, message, metadata=True),
        }

    def _set_status(self, params: JSON, team: str) -> JSON:
        self._channel(params, "channel_id")
        self.statuses.append(
            {
                "channel_id": params["channel_id"],
                "thread_ts": params.get("thread_ts"),
                "status": params.get("status", ""),
                "loading_messages": _decoded(params.get("loading_messages")),
                "time": time.monotonic(),
            }
        )
        return {"ok": True}

    def _set_title(self, params: JSON, team: str) -> JSON:
        self._channel(params, "channel_id")
        self.titles.append(
            {
                "channel_id": params["channel_id"],
                "thread_ts": params.get("thread_ts"),
                "title": params.get("title"),
            }
        )
        return {"ok": True}

    def _set_suggested_prompts(self, params: JSON, team: str) -> JSON:
        self._channel(params, "channel_id")
        self.suggested_prompts.append(
            {
                "channel_id": params["channel_id"],
                "thread_ts": params.get("thread_ts"),
                "title": params.get("title"),
                "prompts": _decoded(params.get("prompts")),
            }
        )
        return {"ok": True}

    def _users_info(self, params: JSON, team: str) -> JSON:
        user = self.users.get(str(params.get("user") or ""))
        if user is None:
            raise _SlackError("user_not_found")
        answer = copy.deepcopy(user)
        if not _truthy(params.get("include_locale")):
            answer.pop("locale", None)
        return {"ok": True, "user": answer}

    def _post_target(self, params: JSON) -> str:
        """chat.postMessage to a user id posts in the app's DM with that person, opened if need be."""
        user = str(params.get("channel") or "")
        if user not in self.users or user in self.channels:
            return self._channel(params)["id"]
        return self.dm_with(user) or self.add_channel(f"D{user}", is_im=True, user=user)["id"]

    def _users_list(self, params: JSON, team: str) -> JSON:
        members = list(self.users.values())
        start = 0
        if params.get("cursor"):
            try:
                start = int(base64.b64decode(str(params["cursor"])).decode().removeprefix("users:"))
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise _SlackError("invalid_cursor") from None
        limit = int(params.get("limit") or 0) or len(members)
        page = members[start : start + limit]
        more = start + limit < len(members)
        cursor = base64.b64encode(f"users:{start + limit}".encode()).decode() if more else ""
        return {
            "ok": True,
            "members": copy.deepcopy(page),
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_info(self, params: JSON, team: str) -> JSON:
        """Any public channel; a private conversation only when the bot is in it. `is_member`: the
        bot's own membership."""
        channel = self._channel(params)
        member = self.is_member(channel["id"], self.bot_user_id)
        if channel["is_private"] and not member:
            raise _SlackError("channel_not_found")
        return {"ok": True, "channel": {**copy.deepcopy(channel), "is_member": member}}

    def _conversations_members(self, params: JSON, team: str) -> JSON:
        """Member ids a page at a time (`limit`, default 100, at most 1,000; `cursor`). A public
        channel's members are listed whether or not the bot is in it; a private one's only when
        it is."""
        channel = self._channel(params)
        if channel["is_private"] and not self.is_member(channel["id"], self.bot_user_id):
            raise _SlackError("channel_not_found")
        listed = self.members.get(channel["id"])
        everyone = [u for u, user in self.users.items() if not user["deleted"]] if listed is None else []
        members = sorted(listed) if listed is not None else everyone
        start = 0
        if params.get("cursor"):
            try:
                start = int(base64.b64decode(str(params["cursor"])).decode().removeprefix("members:"))
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise _SlackError("invalid_cursor") from None
        limit = _limit(params.get("limit") or 100)
        page = members[start : start + limit]
        more = start + limit < len(members)
        cursor = base64.b64encode(f"members:{start + limit}".encode()).decode() if more else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_history(self, params: JSON, team: str) -> JSON:
        """Top-level messages (and broadcasts), newest first; `oldest` / `latest` bound them
        (exclusive unless `inclusive`), `limit` at most 1,000 a page, `cursor` pages on (older)."""
        channel = self._readable(params)["id"]
        oldest = _micros(params.get("oldest") or 0, "invalid_ts_oldest")
        latest = params.get("latest")
        newest = _micros(latest, "invalid_ts_latest") if latest not in (None, "") else None
        inclusive = _truthy(params.get("inclusive"))
        top = [
            m
            for m in reversed(self._messages.get(channel, {}).values())
            if ("thread_ts" not in m or m["thread_ts"] == m["ts"] or m.get("subtype") == "thread_broadcast")
            and (_ts_key(m["ts"]) >= oldest if inclusive else _ts_key(m["ts"]) > oldest)
            and (newest is None or (_ts_key(m["ts"]) <= newest if inclusive else _ts_key(m["ts"]) < newest))
        ]
        if params.get("cursor"):
            before = _cursor_ts(params["cursor"])
            top = [m for m in top if _ts_key(m["ts"]) <= before]
        limit = _limit(params.get("limit"))
        page, rest = top[:limit], top[limit:]
        metadata = _truthy(params.get("include_all_metadata"))
        return {
            "ok": True,
            "messages": [self._render(channel, m, metadata=metadata) for m in page],
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": _cursor(rest[0]["ts"]) if rest else ""},
        }

    def _get_permalink(self, params: JSON, team: str) -> JSON:
        channel = self._readable(params)["id"]
        ts = str(params.get("message_ts") or "")
        if ts not in self._messages.get(channel, {}):
            raise _SlackError("message_not_found")
        return {"ok": True, "channel": channel, "permalink": self.permalink(channel, ts)}

    def _get_upload_url(self, params: JSON, team: str) -> JSON:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except ValueError:
            raise _SlackError("invalid_arguments") from None
        if not filename or length <= 0:
            raise _SlackError("missing_argument")
        if len(str(params.get("alt_txt") or "")) > 1_000:
            raise _SlackError("alt_txt_too_large")
        file_id = f"F{self._next():010d}"
        key = secrets.token_urlsafe(16)
        self._pending_uploads[key] = {
            "file_id": file_id,
            "filename": filename,
            "length": length,
            "team": team,
            "content": None,
        }
        return {"ok": True, "upload_url": f"{self.url}upload/v1/{key}", "file_id": file_id}

    def _complete_upload(self, params: JSON, team: str) -> JSON:
        """Files become real once their bytes arrived; without a channel they stay private to the
        uploader (the bot), shared nowhere, as Slack keeps them."""
        wanted = _decoded(params.get("files"))
        if not isinstance(wanted, list) or not wanted or not all(isinstance(f, dict) for f in wanted):
            raise _SlackError("invalid_arguments")
        by_id = {upload["file_id"]: (key, upload) for key, upload in self._pending_uploads.items()}
        found = [by_id.get(str(item.get("id"))) for item in wanted]
        if any(entry is None or entry[1]["content"] is None or entry[1]["team"] != team for entry in found):
            raise _SlackError("file_not_found")
        channel = self._channel(params, "channel_id")["id"] if params.get("channel_id") else None
        files = []
        for item, (key, upload) in zip(wanted, found, strict=True):
            del self._pending_uploads[key]
            name = upload["filename"]
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            filetype = name.rpartition(".")[2].lower() if "." in name else "binary"
            file = self.add_file(
                upload["content"],
                name,
                mimetype=mimetype,
                filetype=filetype,
                file_id=upload["file_id"],
                title=item.get("title") or name,
            )
            file.update(user=self.bot_user_id, is_public=False, channels=[], groups=[], ims=[])
            self._processed_at[file["id"]] = time.monotonic() + self.upload_processing_seconds
            files.append(copy.deepcopy(file))
        if channel is not None:
            message = self._bot_message(
                channel,
                str(params.get("initial_comment") or ""),
                thread_ts=params.get("thread_ts") or None,
                blocks=None,
                metadata=None,
            )
            message.update(files=copy.deepcopy(files), upload=True)
        return {"ok": True, "files": files}

    def _files_delete(self, params: JSON, team: str) -> JSON:
        file_id = str(params.get("file") or "")
        file = self.files.get(file_id)
        if file is None:
            raise _SlackError("file_not_found")
        if file.get("user") != self.bot_user_id:
            raise _SlackError("cant_delete_file")
        del self.files[file_id]
        self._file_content.pop(file_id, None)
        self._processed_at.pop(file_id, None)
        return {"ok": True}

    def _image_shown(self, block: JSON) -> bool:
        """Slack's check of an image block: alt text, and exactly one of `image_url` and
        `slack_file`; a `slack_file` names exactly one of `id` and `url` (url_private or permalink)
        of a PNG, JPEG or GIF file in the workspace that Slack has finished processing."""
        alt = block.get("alt_text")
        if not isinstance(alt, str) or not 0 < len(alt) <= MAX_ALT_TEXT:
            return False
        url, slack_file = block.get("image_url"), block.get("slack_file")
        if (url is None) == (slack_file is None):
            return False
        if url is not None:
            return isinstance(url, str) and url.startswith(("http://", "https://"))
        if not isinstance(slack_file, dict) or ("id" in slack_file) == ("url" in slack_file):
            return False
        if "id" in slack_file:
            file = self.files.get(str(slack_file["id"]))
        else:
            named = str(slack_file["url"])
            file = next((f for f in self.files.values() if named in (f["url_private"], f["permalink"])), None)
        if file is None or file["mimetype"] not in IMAGE_FILE_TYPES:
            return False
        return time.monotonic() >= self._processed_at.get(file["id"], 0.0)

    def _files_info(self, params: JSON, team: str) -> JSON:
        file = self.files.get(str(params.get("file") or ""))
        if file is None:
            raise _SlackError("file_not_found")
        return {
            "ok": True,
            "file": copy.deepcopy(file),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    def _view(self, params: JSON, team: str, kind: str) -> JSON:
        view = _decoded(params.get("view"))
        if not isinstance(view, dict) or view.get("type") != kind:
            raise _SlackError("invalid_arguments")
        _check_blocks(view.get("blocks") or [], self._image_shown, MAX_VIEW_BLOCKS)
        view_id = f"V{self._next():010d}"
        return {
            **view,
            "id": view_id,
            "team_id": team,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "root_view_id": view_id,
            "previous_view_id": None,
            "external_id": view.get("external_id", ""),
        }

    def _views_publish(self, params: JSON, team: str) -> JSON:
        user = params.get("user_id")
        if not user:
            raise _SlackError("invalid_arguments")
        view = self._view(params, team, "home")
        self.views[user] = view
        return {"ok": True, "view": view}

    def _views_open(self, params: JSON, team: str) -> JSON:
        if params.get("trigger_id") not in self._triggers:
            raise _SlackError("invalid_trigger_id")
        view = self._view(params, team, "modal")
        self.opened_views.append(view)
        return {"ok": True, "view": view}

    def _rotating(self, team: str) -> JSON:
        """With rotation on, a new expiring token and refresh token (which override the install's)."""
        if not self.token_rotation:
            return {}
        token, refresh = f"xoxe.xoxb-{team}-{secrets.token_hex(6)}", f"xoxe-1-{secrets.token_hex(12)}"
        self._tokens[token] = team
        self._refresh_tokens[refresh] = team
        return {"access_token": token, "refresh_token": refresh, "expires_in": self.token_lifetime}

    def _refresh(self, refresh_token: str) -> JSON:
        if refresh_token not in self._refresh_tokens:
            raise _SlackError("invalid_refresh_token")
        team = self._refresh_tokens[refresh_token]
        if team is None:
            self.refused_refreshes += 1
            raise _SlackError("invalid_refresh_token")
        self._refresh_tokens[refresh_token] = None
        self.refreshes.append(team)
        return {
            "ok": True,
            "app_id": self.app_id,
            "token_type": "bot",
            "scope": BOT_SCOPES,
            "bot_user_id": self.bot_user_id,
            "team": {"id": team},
            **self._rotating(team),
        }

    def _oauth_v2_access(self, params: JSON, team: str) -> JSON:
        if params.get("client_id") != self.client_id:
            raise _SlackError("invalid_client_id")
        if params.get("client_secret") != self.client_secret:
            raise _SlackError("bad_client_secret")
        if params.get("grant_type") == "refresh_token":
            return self._refresh(str(params.get("refresh_token") or ""))
        installed = self.oauth_codes.pop(str(params.get("code") or ""), None)
        if installed is None:
            raise _SlackError("invalid_code")
        token = f"xoxb-installed-{installed}"
        self._tokens[token] = installed
        return {
            **self._rotating(installed),
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": self.installer_user_id},
            "scope": BOT_SCOPES,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": self.bot_user_id,
            "team": {"id": installed, "name": self.team_name if installed == self.team_id else installed},
            "enterprise": None,
            "is_enterprise_install": False,
        }

"""The fake workspace's state: people, channels, messages, files and what the bot was sent, with
the helpers tests use to set it up and read it."""

from __future__ import annotations

import asyncio
import copy
import inspect
import itertools
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.fakes.slack.protocol import FIRST_TS_SECONDS, JSON, Call, Delivery, _decoded


class SlackWorkspace:
    """What a Slack workspace holds, with one bot installed. Web API calls (`WebApi`), deliveries to
    the bot (`Delivering`) and OAuth (`OAuth`) act on it; `FakeSlack` serves them all."""

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
        # Message events carry an action token (for assistant.search.context) valid this long.
        self.action_token_lifetime = 300.0
        self._action_tokens: dict[str, tuple[str, str, float]] = {}  # token -> (team, user, expiry)

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
        self._session: aiohttp.ClientSession | None = None
        self.add_user(bot_user_id, "claude", real_name="Claude", is_bot=True, bot_id=bot_id)

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

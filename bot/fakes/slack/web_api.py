"""The Web API: every method the bot calls, answered with Slack's shapes, errors and rate limits,
and the file hosts behind `url_private` and uploads."""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import math
import mimetypes
import secrets
import time
from collections import deque
from typing import ClassVar

from aiohttp import web

from bot.fakes.slack.protocol import (
    APP_TOKEN_METHODS,
    CLIENT_CREDENTIAL_METHODS,
    IMAGE_FILE_TYPES,
    JSON,
    LOGIN_PAGE,
    MAX_ALT_TEXT,
    MAX_MARKDOWN_TEXT,
    MAX_TEXT,
    MAX_VIEW_BLOCKS,
    Call,
    _bearer,
    _check_blocks,
    _cursor,
    _cursor_ts,
    _decoded,
    _limit,
    _metadata,
    _micros,
    _read_params,
    _SlackError,
    _stream_text,
    _truthy,
    _ts_key,
)
from bot.fakes.slack.search import Searching


class WebApi(Searching):
    """The methods under `/api/`, file downloads and uploads."""

    # Slack's published per-minute limits (per workspace and app) for the methods served here.
    # Tier 3 = 50, Tier 4 = 100; assistant.threads.setStatus is a special tier of 600, and
    # assistant.search.context a special one of about 10 for most teams. The stream
    # start/stop tiers are not confirmed from Slack's docs: Tier 3 is assumed; appendStream is Tier 4.
    # chat.getPermalink has "special" limits Slack doesn't publish: Tier 4 is assumed.
    TIER_LIMITS: ClassVar[dict[str, int]] = {
        "assistant.search.context": 10,
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
    HANDLERS: ClassVar[dict[str, str]] = {
        "apps.connections.open": "_apps_connections_open",
        "assistant.search.context": "_search_context",
        "assistant.threads.setStatus": "_set_status",
        "assistant.threads.setSuggestedPrompts": "_set_suggested_prompts",
        "assistant.threads.setTitle": "_set_title",
        "auth.test": "_auth_test",
        "chat.appendStream": "_append_stream",
        "chat.delete": "_chat_delete",
        "chat.getPermalink": "_get_permalink",
        "chat.postEphemeral": "_post_ephemeral",
        "chat.postMessage": "_post_message",
        "chat.startStream": "_start_stream",
        "chat.stopStream": "_stop_stream",
        "chat.update": "_chat_update",
        "conversations.history": "_conversations_history",
        "conversations.info": "_conversations_info",
        "conversations.members": "_conversations_members",
        "conversations.replies": "_conversations_replies",
        "files.completeUploadExternal": "_complete_upload",
        "files.delete": "_files_delete",
        "files.getUploadURLExternal": "_get_upload_url",
        "files.info": "_files_info",
        "oauth.v2.access": "_oauth_v2_access",
        "users.info": "_users_info",
        "users.list": "_users_list",
        "views.open": "_views_open",
        "views.publish": "_views_publish",
    }
    """Each Web API method served, and the method of the fake that answers it."""

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
        name = self.HANDLERS.get(method)
        handler = getattr(self, name) if name else None
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
        return self._page(channel, candidates, limit, params)

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
        return self._page(channel, top, _limit(params.get("limit")), params)

    def _page(self, channel: str, messages: list[JSON], limit: int, params: JSON) -> JSON:
        """A page of a history read as Slack answers it: the next page's cursor names its first
        message."""
        page, rest = messages[:limit], messages[limit:]
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

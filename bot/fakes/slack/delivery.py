"""What Slack sends the bot when a person acts: signed events, slash commands and clicks over
HTTP, the same over Socket Mode, and the `response_url`s the bot answers on."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import secrets
import time
import uuid
from typing import Literal
from urllib.parse import urlencode

from aiohttp import WSCloseCode, WSMsgType, web

from bot.fakes.slack.protocol import FORM, JSON, Delivery, _signature
from bot.fakes.slack.search import Searching


class Delivering(Searching):
    """Deliveries to the bot, and its answers on `response_url` and over the socket."""

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
        if "user" in message:
            # One token per message, in both of its events: a search may run as its author.
            shared["action_token"] = self.issue_action_token(message["user"])
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

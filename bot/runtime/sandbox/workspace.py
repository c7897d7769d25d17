"""The sandbox's Slack: the fake workspace set up as a small team, the things a person does in it,
and what real Slack shows them that the fake only records (a thread's "is thinking…" status,
the answers to their slash commands, an AI app pane thread's title and suggested prompts)."""

from __future__ import annotations

import asyncio
import html
import json
import mimetypes
import re
import secrets
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from bot.core.shortcuts import TITLES, Shortcut
from bot.fakes.slack import Call, FakeSlack

JSON = dict[str, Any]

TEAM_ID = "T0SANDBOX"
ME = "U0YOU"
GENERAL = "C0GENERAL"
RANDOM = "C0RANDOM"
DM = "D0CLAUDE"
SLACKBOT = "USLACKBOT"
APP_COMMANDS = frozenset({"/claude"})
"""The slash commands the app's manifest declares: the only ones Slack delivers to it."""
NOT_A_COMMAND = (
    '`{command}` is not a valid command. In Slack, all messages that start with the "/" character '
    "are interpreted as commands. If you are trying to send a message and not run a command, try "
    'preceding the "/" with an empty space.'
)
NOT_IN_THREADS = "`{command}` is not supported in threads. Sorry!"
"""Slack's own answers (from Slackbot) to an unknown command, and to an app's command in a thread."""
MENTION = re.compile(r"(?<![\w<])@([\w.-]+)")
WIRE_MARKUP = re.compile(r"<([@#!][^|>]+|[a-z][a-z0-9+.-]*:[^|>]+)(?:\|([^>]*))?>")
WRITES_IN_THREAD = frozenset({"chat.postMessage", "chat.startStream"})


@dataclass(frozen=True)
class Upload:
    """A file a person attaches to a message."""

    name: str
    content: bytes
    mimetype: str = ""


def sandbox_slack() -> FakeSlack:
    """Fresh credentials each run: they only ever open this process's own fake."""
    slack = FakeSlack(
        bot_token=f"xoxb-sandbox-{secrets.token_hex(12)}",
        app_token=f"xapp-sandbox-{secrets.token_hex(12)}",
        signing_secret=secrets.token_hex(16),
        team_id=TEAM_ID,
        team_domain="sandbox",
    )
    # The database outlives a run (event claims, bot threads): each run's messages must be new to it.
    slack.clock_timestamps = True
    # Your own workspace: you are its admin, so the App Home shows usage and admin commands work.
    slack.add_user(ME, "you", display_name="You", is_admin=True)
    slack.add_channel(GENERAL, "general")
    slack.add_channel(RANDOM, "random")
    slack.add_channel(DM, is_im=True, user=ME)
    return slack


class Workspace:
    """What a person can do in the sandbox, delivered to the bot exactly as Slack would."""

    def __init__(self, slack: FakeSlack, bot_url: str) -> None:
        self.slack = slack
        self.bot_url = bot_url
        self.changed = asyncio.Event()
        """Set on every change a viewer could see; whoever shows the workspace clears it."""
        self._thinking: dict[tuple[str, str], str] = {}
        self._command_answers: list[JSON] = []
        self._modal: JSON | None = None
        self._modal_errors: dict[str, str] = {}
        self._pressed: dict[tuple[str, str, str], str] = {}
        """(channel, message ts, person) -> the feedback button they pressed last."""
        slack.observers.append(self._observe)

    # ------------------------------------------------------------------ acting

    def person(self, name: str) -> str:
        """The id of the person called `name`, who joins the workspace the first time."""
        wanted = name.strip().lower()
        for user_id, user in self.slack.users.items():
            if user["name"] == wanted and not user["is_bot"]:
                return user_id
        stem = "U0" + (re.sub(r"[^A-Z0-9]", "", wanted.upper())[:9] or "PERSON")
        user_id, n = stem, 1
        while user_id in self.slack.users:
            n += 1
            user_id = f"{stem}{n}"
        self.slack.add_user(user_id, wanted, display_name=name.strip())
        return user_id

    async def say(
        self,
        channel: str,
        text: str,
        *,
        user: str = ME,
        thread_ts: str | None = None,
        uploads: tuple[Upload, ...] = (),
    ) -> JSON:
        """Posts as `user`, typed text as Slack stores it. Returns the stored message."""
        files = [self._upload(upload) for upload in uploads]
        return await self.slack.user_says(
            self.bot_url, channel, user, self.to_wire(text), thread_ts=thread_ts, files=files or None
        )

    async def command(self, channel: str, text: str, *, user: str = ME, thread_ts: str | None = None) -> JSON:
        """Runs a slash command such as `/claude prompt Be brief`; returns its ephemeral answer,
        which Slack shows unless it is empty (the command opened a window instead). Slack itself
        answers a command no app declares, and an app's command typed in a thread."""
        command, _, rest = text.strip().partition(" ")
        if thread_ts is not None or command not in APP_COMMANDS:
            refusal = NOT_IN_THREADS if thread_ts is not None else NOT_A_COMMAND
            reply = {"from": SLACKBOT, "text": refusal.format(command=command), "blocks": None}
        else:
            status, body = await self.slack.slash_command(
                self.bot_url, rest.strip(), command=command, user=user, channel=channel
            )
            reply = {"from": self.slack.bot_user_id, **_ack_answer(command, status, body)}
        where = {"channel": channel, "thread_ts": thread_ts, "user": user, "ts": self.slack.new_ts()}
        answer = {**where, **reply}
        if answer["text"] or answer["blocks"]:
            self._command_answers.append(answer)
            self.changed.set()
        return answer

    async def click(
        self,
        channel: str,
        ts: str,
        action_id: str,
        *,
        value: str = "",
        block_id: str = "b",
        element_type: str = "button",
        user: str = ME,
    ) -> None:
        """A press on a message's button (Stop, Retry, Continue) or feedback button, which then
        looks pressed to the person who pressed it, as in Slack."""
        if element_type == "feedback_buttons":
            self._pressed[(channel, ts, user)] = self._feedback_choice(channel, ts, value)
            self.changed.set()
        await self.slack.block_action(
            self.bot_url,
            user=user,
            channel=channel,
            message_ts=ts,
            action_id=action_id,
            value=value,
            block_id=block_id,
            element_type=element_type,
        )

    async def shortcut(self, channel: str, ts: str, callback_id: str, *, user: str = ME) -> None:
        """One of the app's message shortcuts, picked from a message's menu."""
        if callback_id not in {shortcut.value for shortcut in Shortcut}:
            raise ValueError(f"the app declares no message shortcut {callback_id!r}")
        await self.slack.message_shortcut(
            self.bot_url, user=user, channel=channel, message_ts=ts, callback_id=callback_id
        )

    def permalink(self, channel: str, ts: str) -> str:
        """The message's "Copy link" address, which the bot reads back when it is pasted."""
        return self.slack.permalink(channel, ts)

    async def open_home(self, *, user: str = ME) -> None:
        await self.slack.open_app_home(self.bot_url, user)

    async def new_chat(self, context_channel: str, *, user: str = ME) -> JSON:
        """The pane's New chat, as Slack starts it: a thread in the app's DM that knows the channel
        it sits beside, so the bot answers with that channel's prompt. Returns the thread's root."""
        return await self.slack.start_assistant_thread(self.bot_url, user, context_channel=context_channel)

    @property
    def modal(self) -> JSON | None:
        """The modal the bot last opened (`views.open`), until it is submitted or closed."""
        return self._modal

    async def submit_modal(self, values: dict[str, dict[str, str | None]], *, user: str = ME) -> None:
        """Submits the open modal with `values` (block_id -> action_id -> text); the bot's answer
        shows errors in it, replaces it, or closes it, as in Slack."""
        if self._modal is None:
            raise LookupError("no modal is open")
        status, body = await self.slack.view_submission(self.bot_url, self._modal, user=user, values=values)
        try:
            answer = json.loads(body) if status == 200 and body else {}
        except ValueError:
            answer = {}
        action = answer.get("response_action")
        if action == "errors":
            self._modal_errors = dict(answer.get("errors") or {})
        elif action == "update" and isinstance(answer.get("view"), dict):
            self._modal, self._modal_errors = answer["view"], {}
        else:
            self._modal, self._modal_errors = None, {}
        self.changed.set()

    def close_modal(self) -> None:
        self._modal, self._modal_errors = None, {}
        self.changed.set()

    def to_wire(self, text: str) -> str:
        """What Slack stores for typed text: `&`, `<`, `>` escaped, and `@name` a real mention."""
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        by_name = {}
        for user_id, user in self.slack.users.items():
            for name in (user["name"], user["real_name"], user["profile"]["display_name"]):
                if name:
                    by_name.setdefault(name.lower(), user_id)

        def mention(match: re.Match[str]) -> str:
            user_id = by_name.get(match.group(1).lower())
            return f"<@{user_id}>" if user_id else match.group(0)

        return MENTION.sub(mention, escaped)

    # ------------------------------------------------------------------ looking

    def name(self, user_id: str) -> str:
        user = self.slack.users.get(user_id)
        if user is None:
            return "Slackbot" if user_id == "USLACKBOT" else user_id
        return str(user["profile"]["display_name"] or user["real_name"] or user["name"])

    def channel_name(self, channel_id: str, label: str | None = None) -> str:
        """What Slack shows for `<#C…>`: the channel's current name, whatever label came with it."""
        channel = self.slack.channels.get(channel_id)
        if channel is None or channel["is_im"]:
            return label or channel_id
        return str(channel["name"])

    def readable(self, text: str) -> str:
        """Slack's wire markup as a person reads it (`<@U1>` is "@Alice"), layout untouched."""

        def markup(match: re.Match[str]) -> str:
            target, label = match.group(1), match.group(2)
            if target.startswith("@"):
                return "@" + self.name(target[1:])
            if target.startswith("#"):
                return "#" + self.channel_name(target[1:], label)
            if target.startswith("!date^"):
                # A terminal has no viewer's time zone: the bot's own fallback text says it in UTC.
                return label or target
            if target.startswith("!"):
                return "@" + (label or target[1:].split("^")[0])
            return f"{label} ({target})" if label and label != target else target

        return html.unescape(WIRE_MARKUP.sub(markup, text))

    def snapshot(self) -> JSON:
        """Everything the page shows, in one JSON-ready object."""
        slack = self.slack
        return {
            "team": slack.team_name,
            "me": ME,
            "bot": slack.bot_user_id,
            "names": {
                **{user_id: self.name(user_id) for user_id in slack.users},
                SLACKBOT: self.name(SLACKBOT),
                **{c["id"]: c["name"] for c in slack.channels.values() if not c["is_im"]},
            },
            "channels": [
                {"id": c["id"], "name": "Claude" if c["is_im"] else c["name"], "is_im": c["is_im"]}
                for c in slack.channels.values()
            ],
            "messages": {
                channel: [self._message(channel, m) for m in slack.messages(channel)]
                for channel in slack.channels
            },
            "thinking": [
                {"channel": channel, "thread_ts": ts, "status": status}
                for (channel, ts), status in self._thinking.items()
            ],
            "ephemeral": sorted(
                (
                    {
                        "channel": e["channel"],
                        "thread_ts": e.get("thread_ts"),
                        "ts": e["ts"],
                        "from": e.get("from", slack.bot_user_id),
                        "text": e.get("text", ""),
                        "blocks": e.get("blocks"),
                    }
                    for e in (*self._command_answers, *slack.ephemeral)
                    if e.get("user") == ME and _shown_as_ephemeral(e)
                ),
                key=lambda e: ts_order(e["ts"]),
            ),
            "panes": self._panes(),
            "shortcuts": [{"callback_id": s.value, "name": title} for s, title in TITLES.items()],
            "home": slack.views.get(ME),
            "modal": {"view": self._modal, "errors": self._modal_errors} if self._modal else None,
        }

    # ------------------------------------------------------------------ internals

    def _upload(self, upload: Upload) -> JSON:
        mimetype = upload.mimetype or mimetypes.guess_type(upload.name)[0] or "application/octet-stream"
        filetype = PurePath(upload.name).suffix.lstrip(".").lower() or "binary"
        return self.slack.add_file(upload.content, upload.name, mimetype=mimetype, filetype=filetype)

    def _message(self, channel: str, message: JSON) -> JSON:
        ts = message["ts"]
        return {
            "ts": ts,
            "thread_ts": message.get("thread_ts"),
            "user": message.get("user"),
            "text": message.get("text", ""),
            "blocks": message.get("blocks"),
            "files": [
                {
                    "id": f["id"],
                    "name": f["name"],
                    "mimetype": f["mimetype"],
                    "url": f"/files/{f['id']}/{quote(f['name'])}",
                }
                for f in message.get("files", [])
            ],
            "reply_count": message.get("reply_count", 0),
            "pressed": self._pressed.get((channel, ts, ME)),
            "streaming": self.slack.is_streaming(channel, ts),
            "edited": "edited" in message,
        }

    def _feedback_choice(self, channel: str, ts: str, value: str) -> str:
        """Which of the message's feedback buttons carries `value`: positive_button or negative_button."""
        for message in self.slack.messages(channel):
            if message["ts"] != ts:
                continue
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    if element.get("type") == "feedback_buttons":
                        negative = (element.get("negative_button") or {}).get("value")
                        return "negative_button" if value == negative else "positive_button"
        return "positive_button"

    def _panes(self) -> list[JSON]:
        """Each pane thread's latest title and suggested prompts: Slack shows them above and under
        the thread, not as messages in it."""
        panes: dict[tuple[str, str], JSON] = {}

        def pane(entry: JSON) -> JSON:
            channel, ts = str(entry["channel_id"]), str(entry["thread_ts"])
            return panes.setdefault(
                (channel, ts), {"channel": channel, "thread_ts": ts, "title": None, "prompts": None}
            )

        for entry in self.slack.suggested_prompts:
            pane(entry)["prompts"] = {"title": entry["title"], "items": entry["prompts"] or []}
        for entry in self.slack.titles:
            pane(entry)["title"] = entry["title"]
        return list(panes.values())

    def _observe(self, call: Call | None) -> None:
        if call is not None and call.ok:
            self._track(call)
        self.changed.set()

    def _track(self, call: Call) -> None:
        """What Slack shows but the fake doesn't keep: a thread's status until the app next writes
        in that thread; the modal the app opened."""
        params = call.params
        if call.method == "views.open":
            self._modal, self._modal_errors = self.slack.opened_views[-1], {}
        elif call.method == "assistant.threads.setStatus":
            key = (str(params.get("channel_id")), str(params.get("thread_ts")))
            if params.get("status"):
                self._thinking[key] = str(params["status"])
            else:
                self._thinking.pop(key, None)
        elif call.method in WRITES_IN_THREAD and params.get("thread_ts"):
            self._thinking.pop((str(params.get("channel")), str(params["thread_ts"])), None)


def _shown_as_ephemeral(entry: JSON) -> bool:
    """A response_url answer that replaces or deletes the original is a change to it, not a note."""
    if entry.get("replace_original") or entry.get("delete_original"):
        return False
    return bool(entry.get("text") or entry.get("blocks"))


def ts_order(ts: str) -> tuple[int, ...]:
    """Slack timestamps in time order (as numbers, not as text or floats)."""
    return tuple(int(part) for part in ts.split("."))


def _ack_answer(command: str, status: int, body: str) -> JSON:
    """A slash command's answer is the body of the app's acknowledgement, as Slack shows it."""
    if status != 200:
        return {"text": f"{command} failed with the error “http_error_{status}”", "blocks": None}
    try:
        answer = json.loads(body) if body else {}
    except ValueError:
        return {"text": body, "blocks": None}
    return {"text": str(answer.get("text", "")), "blocks": answer.get("blocks")}

"""Writing a growing answer into Slack: one ordered writer per reply.

The turn appends deltas as they arrive; the writer shows the first text at once, then
batches by time and size, always sending the newest text (an edit that newer text has
superseded is never sent), and the final text last. It writes through Slack's native
streaming (`chat.startStream` / `appendStream` / `stopStream`) or by editing a posted
message (`chat.postMessage` / `chat.update`); in `auto` mode a workspace that refuses
streaming is remembered and gets edits from then on, and a stream Slack has closed under a
long answer carries on as edits of the same message, without losing or repeating text.
Every write waits for its turn in the rate budget. An answer longer than one Slack message
continues in further messages in the thread.

Which way a reply is written is decided when its first text is ready, from what this minute
still holds: a stream when stream starts and stops are free, else edits when `chat.update` is
(each running reply keeps the call its final text needs), else the reply is posted whole with
`chat.postMessage` as soon as Claude finishes. Streams and edits are limited per workspace,
`chat.postMessage` per channel, so a burst uses all three and no answer waits a minute for a
workspace's window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.core.safe_markdown import safe_markdown
from bot.core.textsplit import cut_once
from bot.process.config import StreamMode
from bot.slack.blocks import answer_blocks, feedback_actions, stop_actions
from bot.slack.client import BudgetedWebClient
from bot.slack.rate_limits import Grant, Scope

log = logging.getLogger(__name__)

THINKING_STATUS = "is thinking…"
WRITING_STATUS = "is writing…"
CONTROL_GRACE_SECONDS = 2.0
FLUSH_CHARS = 600
"""Pending text that triggers an early flush: big pastes show up without waiting the interval."""


class NativeSupport:
    """Which workspaces accept native streaming; in `auto` mode a refusal is remembered."""

    def __init__(self, mode: StreamMode) -> None:
        self.mode = mode
        self._refused: set[str] = set()

    def use_native(self, workspace: str) -> bool:
        if self.mode is StreamMode.AUTO:
            return workspace not in self._refused
        return self.mode is StreamMode.NATIVE

    def refused(self, workspace: str) -> None:
        if self.mode is StreamMode.AUTO:
            log.info("native streaming refused in a workspace; editing messages there from now on")
            self._refused.add(workspace)


class Way(Enum):
    """How one reply reaches Slack."""

    STREAM = "stream"
    EDITS = "edits"
    WHOLE = "whole"
    """Posted once, complete, when Claude finishes: this minute's streams and edits are spoken for."""


@dataclass(frozen=True)
class ReplyTarget:
    client: BudgetedWebClient
    channel: str
    thread_ts: str
    recipient_team_id: str | None = None
    recipient_user_id: str | None = None


@dataclass
class _Message:
    ts: str | None = None
    shown: str = ""
    streaming: bool = False


@dataclass
class WriterOptions:
    interval: float
    max_chars: int
    stop_value: str | None = None
    """Value of the Stop button's action; None for no button."""
    feedback: bool = False
    """👍/👎 under the finished answer, sent with its final write (no call of their own)."""


@dataclass
class SlackReply:
    target: ReplyTarget
    native: NativeSupport
    options: WriterOptions
    parts: list[str] = field(default_factory=list)
    messages: list[_Message] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._dirty = asyncio.Event()
        self._finishing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._start = 0
        self._prefix = ""
        self._flushed_len = 0
        self._control_ts: str | None = None
        self._control: asyncio.Task[None] | None = None
        self._permit: Grant | None = None
        self._final_method = ""
        self._way: Way | None = None
        self._started: asyncio.Task[None] | None = None
        self._control_delete_reserved = False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def begin(self, thinking: asyncio.Task[bool] | None) -> None:
        """Show that the reply is on its way, in the background: `thinking` is a status call made
        earlier (True when it showed), else the writer makes its own. Only the first write waits
        for it, so Slack never shows the status under text already written."""
        self._started = asyncio.create_task(self._begin(thinking))

    async def _begin(self, thinking: asyncio.Task[bool] | None) -> None:
        if thinking is None or not await thinking:
            await self.start()

    async def start(self) -> None:
        """ "is thinking…" under the thread at once (cleared by Slack when the reply posts)."""
        try:
            await self._call(
                "assistant.threads.setStatus",
                urgent=True,
                channel_id=self.target.channel,
                thread_ts=self.target.thread_ts,
                status=THINKING_STATUS,
            )
        except SlackApiError as exc:
            log.info("setStatus unavailable (%s); posting a placeholder", exc.response.get("error"))
            self._way = Way.EDITS
            self._reserve_final("chat.update")
            response = await self._post("_Thinking…_", urgent=True, stop_value=self.options.stop_value)
            self.messages.append(_Message(ts=str(response["ts"])))

    async def _begun(self) -> None:
        if self._started is not None:
            await asyncio.shield(self._started)

    def append(self, delta: str) -> None:
        self.parts.append(delta)
        self._dirty.set()
        if self._task is None:
            self._task = asyncio.create_task(self._flush_loop())

    def discard_blank(self) -> None:
        """Forget whitespace that never showed (a call being retried), so it isn't sent later."""
        if not self.text.strip():
            self.parts.clear()

    async def finish(self) -> list[str]:
        """Deliver the complete text and take the Stop button away; the `ts` of every message."""
        await self._begun()
        self._finishing.set()
        self._dirty.set()
        if self._task is None:
            self._task = asyncio.create_task(self._flush_loop())
        try:
            await self._task
        finally:
            self._reserve_final("")
            await self._remove_control()
            await self._remove_empty_placeholder()
        return [m.ts for m in self.messages if m.ts]

    async def _flush_loop(self) -> None:
        await self._begun()
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            final = self._finishing.is_set()
            started = time.monotonic()
            if not final and self._way is Way.WHOLE:
                continue
            if not final and not await self._progress_permit():
                continue
            text = self.text
            self._flushed_len = len(text)
            await self._render(text, final=final)
            if self._permit is not None:  # nothing needed writing after all
                self._permit.answered()
                self._permit = None
            if final and len(self.text) == self._flushed_len:
                return
            await self._pause(started)

    async def _progress_permit(self) -> bool:
        """Wait for the budget before reading the text, so the write that follows sends the newest.

        False when the answer finished meanwhile: the final write supersedes this one.
        """
        current = self.messages[-1] if self.messages else None
        if current is None or current.ts is None:
            return True
        method = "chat.appendStream" if current.streaming else "chat.update"
        rate_limits = self.target.client.rate_limits
        acquiring = asyncio.create_task(rate_limits.acquire(self._scope(method), urgent=False))
        finishing = asyncio.create_task(self._finishing.wait())
        await asyncio.wait({acquiring, finishing}, return_when=asyncio.FIRST_COMPLETED)
        finishing.cancel()
        if acquiring.done() and not acquiring.cancelled():
            self._permit = acquiring.result()
            return True
        acquiring.cancel()
        await asyncio.wait({acquiring})
        return False

    async def _pause(self, started: float) -> None:
        """Until the interval has passed, more than FLUSH_CHARS are waiting, or the answer is done."""
        deadline = started + self.options.interval
        floor = started + self.options.interval / 4
        while not self._finishing.is_set():
            now = time.monotonic()
            if now >= deadline or (now >= floor and len(self.text) - self._flushed_len >= FLUSH_CHARS):
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finishing.wait(), min(deadline, max(floor, now + 0.05)) - now)

    async def _render(self, text: str, *, final: bool) -> None:
        text = safe_markdown(text, final=final)
        while True:
            current = self.messages[-1] if self.messages else None
            content = self._prefix + text[self._start :]
            not_before = len(current.shown) if current and current.streaming else 0
            cut = cut_once(content, self.options.max_chars, not_before=max(not_before, len(self._prefix)))
            if cut is None:
                break
            await self._write(content[: cut.consumed] + cut.closing, closing=True)
            self._start += cut.consumed - len(self._prefix)
            self._prefix = cut.reopen
            self.messages.append(_Message())
        content = self._prefix + text[self._start :]
        if content.strip():
            await self._write(content, closing=final, last=final)

    async def _write(self, content: str, *, closing: bool, last: bool = False) -> None:
        if not self.messages:
            self.messages.append(_Message())
        message = self.messages[-1]
        first = len(self.messages) == 1 and not message.ts
        try:
            if message.ts is None:
                await self._open(message, content, urgent=first or closing, closing=closing, last=last)
                if message.ts is None or (closing and not message.streaming):
                    return
            if message.streaming:
                await self._stream(message, content, closing=closing, last=last)
            elif content != message.shown or closing:
                await self._edit(message, content, closing=closing, last=last)
        except SlackApiError as exc:
            log.warning("Slack refused a reply write: %s", exc.response.get("error"))
            if closing:
                await self._deliver_anew(message, content)

    async def _deliver_anew(self, message: _Message, content: str) -> None:
        """The final text always lands: when its message can't be edited, it comes as a new one."""
        try:
            response = await self._post(content, urgent=True, stop_value=None)
        except SlackApiError as exc:
            log.error("the final text could not be delivered: %s", exc.response.get("error"))
            return
        message.ts, message.shown, message.streaming = str(response["ts"]), content, False

    async def _open(
        self, message: _Message, content: str, *, urgent: bool, closing: bool = False, last: bool = False
    ) -> None:
        """A new message for `content`: the reply's first decides how the whole reply is written.
        A reply written whole gets its messages only once Claude has finished."""
        if self._way is None:
            methods = ("chat.startStream", "chat.stopStream", "chat.update", "chat.postMessage")
            await self.target.client.rate_limits.refresh([self._scope(method) for method in methods])
            self._way = await self._choose_way(closing=closing)
        if self._way is Way.WHOLE and not closing:
            return
        if self._way is Way.STREAM and self.native.use_native(self._workspace):
            try:
                response = await self._call(
                    "chat.startStream",
                    urgent=urgent,
                    channel=self.target.channel,
                    thread_ts=self.target.thread_ts,
                    markdown_text=content,
                    recipient_team_id=self.target.recipient_team_id,
                    recipient_user_id=self.target.recipient_user_id,
                )
            except SlackApiError as exc:
                log.info("chat.startStream refused (%s); editing instead", exc.response.get("error"))
                self.native.refused(self._workspace)
                self._way = Way.EDITS
                self._reserve_final("chat.update")
            else:
                message.ts, message.shown, message.streaming = str(response["ts"]), content, True
                if self.options.stop_value is not None and self._control is None and self._control_has_room():
                    # In the background: the stream must not wait for the button's budget.
                    self._control = asyncio.create_task(self._post_control(self.options.stop_value))
                return
        stop = None if closing or self._way is Way.WHOLE else self.options.stop_value
        response = await self._post(
            content, urgent=urgent, stop_value=stop, feedback_ts=self._feedback_ts(last)
        )
        message.ts, message.shown = str(response["ts"]), content

    async def _post(
        self, content: str, *, urgent: bool, stop_value: str | None, feedback_ts: str | None = None
    ) -> Any:
        return await self._call(
            "chat.postMessage",
            urgent=urgent,
            channel=self.target.channel,
            thread_ts=self.target.thread_ts,
            text=content,
            blocks=answer_blocks(content, stop_value=stop_value, feedback_ts=feedback_ts),
        )

    async def _choose_way(self, *, closing: bool) -> Way:
        """The first way with room, claiming the call its final text will need (across replicas,
        so two replies can't both count on the last one)."""
        mode = self.native.mode
        if mode is StreamMode.NATIVE:
            self._reserve_final("chat.stopStream")
            return Way.STREAM
        if closing:
            return Way.EDITS  # posted once, finished: no later call to keep
        if (
            mode is StreamMode.AUTO
            and self.native.use_native(self._workspace)
            and self._headroom("chat.startStream") > 0
            and await self._claim_final("chat.stopStream")
        ):
            return Way.STREAM
        if self._headroom("chat.postMessage") > 0 and await self._claim_final("chat.update"):
            return Way.EDITS
        self._reserve_final("chat.postMessage")
        self._status_in_background(WRITING_STATUS)
        return Way.WHOLE

    async def _claim_final(self, method: str) -> bool:
        if not await self.target.client.rate_limits.claim(self._scope(method)):
            return False
        self._reserve_final("")
        self._final_method = method
        return True

    async def _stream(self, message: _Message, content: str, *, closing: bool, last: bool = False) -> None:
        more = content[len(message.shown) :]
        try:
            if closing:
                feedback_ts = self._feedback_ts(last)
                await self._call(
                    "chat.stopStream",
                    urgent=True,
                    channel=self.target.channel,
                    ts=message.ts,
                    markdown_text=more or None,
                    blocks=[feedback_actions(feedback_ts)] if feedback_ts is not None else None,
                )
                message.streaming = False
            elif more:
                await self._call(
                    "chat.appendStream",
                    urgent=False,
                    channel=self.target.channel,
                    ts=message.ts,
                    markdown_text=more,
                )
            message.shown = content
        except SlackApiError as exc:
            log.info("stream write refused (%s); editing the same message", exc.response.get("error"))
            message.streaming = False
            self._reserve_final("chat.update")
            await self._edit(message, content, closing=closing, last=last)

    async def _edit(self, message: _Message, content: str, *, closing: bool, last: bool = False) -> None:
        stop = None if closing else self.options.stop_value
        await self._call(
            "chat.update",
            urgent=closing,
            channel=self.target.channel,
            ts=message.ts,
            text=content,
            blocks=answer_blocks(content, stop_value=stop, feedback_ts=self._feedback_ts(last)),
        )
        message.shown = content

    def _feedback_ts(self, last: bool) -> str | None:
        """On the answer's last write: the ts of its first message, which the feedback buttons name
        ("" while that message is the one being posted: a press then names the message it is on)."""
        return (self.messages[0].ts or "") if last and self.options.feedback else None

    def _control_has_room(self) -> bool:
        """The Stop button's own message costs a post and, later, a delete: only when both are free."""
        return self._headroom("chat.postMessage") > 1 and self._headroom("chat.delete") > 0

    async def _post_control(self, stop_value: str) -> None:
        """A streaming message can't carry buttons, so the Stop button gets a small message of its own."""
        self._reserve("chat.delete", +1)
        self._control_delete_reserved = True
        try:
            response = await self._call(
                "chat.postMessage",
                urgent=False,
                channel=self.target.channel,
                thread_ts=self.target.thread_ts,
                text="Claude is writing…",
                blocks=[stop_actions(stop_value)],
                metadata={"event_type": NOTICE_EVENT_TYPE, "event_payload": {"kind": "controls"}},
            )
        except SlackApiError as exc:
            log.info("no Stop button for this reply: %s", exc.response.get("error"))
            return
        self._control_ts = str(response["ts"])

    async def _remove_control(self) -> None:
        if self._control is not None:
            # A post already on its way gets a moment to land (so it can be deleted); one still
            # waiting for the budget is simply dropped.
            _, pending = await asyncio.wait({self._control}, timeout=CONTROL_GRACE_SECONDS)
            for task in pending:
                task.cancel()
                await asyncio.wait({task})
        try:
            if self._control_ts is not None:
                await self._call("chat.delete", urgent=True, channel=self.target.channel, ts=self._control_ts)
        except SlackApiError as exc:
            log.warning("could not remove the Stop button: %s", exc.response.get("error"))
        finally:
            if self._control_delete_reserved:
                self._reserve("chat.delete", -1)
                self._control_delete_reserved = False

    async def _remove_empty_placeholder(self) -> None:
        """A "Thinking…" placeholder that never got text would otherwise stay forever."""
        if self.messages and self.messages[-1].ts and not self.messages[-1].shown:
            with contextlib.suppress(SlackApiError):
                await self._call(
                    "chat.delete", urgent=True, channel=self.target.channel, ts=self.messages[-1].ts
                )
            self.messages.pop()

    def _reserve_final(self, method: str) -> None:
        """Keep one call of the method that will carry the final text free of progress calls."""
        if self._final_method:
            self._reserve(self._final_method, -1)
        if method:
            self._reserve(method, +1)
        self._final_method = method

    @property
    def _workspace(self) -> str:
        return self.target.client.workspace

    def _scope(self, method: str) -> Scope | None:
        return self.target.client.rate_limits.scope(method, self._workspace, {"channel": self.target.channel})

    def _headroom(self, method: str) -> float:
        return self.target.client.rate_limits.headroom(self._scope(method))

    def _reserve(self, method: str, delta: int) -> None:
        self.target.client.rate_limits.reserve(self._scope(method), delta)

    def _status_in_background(self, status: str) -> None:
        async def set_status() -> None:
            with contextlib.suppress(SlackApiError):
                await self._call(
                    "assistant.threads.setStatus",
                    urgent=True,
                    channel_id=self.target.channel,
                    thread_ts=self.target.thread_ts,
                    status=status,
                )

        task = asyncio.create_task(set_status())
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)

    async def _call(self, method: str, *, urgent: bool, **params: Any) -> Any:
        """Urgent calls wait their turn in the client; progress calls wait here, as progress (or
        already did, in `_progress_permit`), and go through prepaid."""
        client = self.target.client
        arguments = {key: value for key, value in params.items() if value is not None}
        if urgent:
            return await client.api_call(method, json=arguments)
        scope = self._scope(method)
        grant, self._permit = self._permit, None
        if grant is None or grant.scope != scope:
            if grant is not None:
                grant.answered()
            grant = await client.rate_limits.acquire(scope, urgent=False)
        with client.rate_limits.prepaid(grant):
            return await client.api_call(method, json=arguments)


_BACKGROUND: set[asyncio.Task[None]] = set()

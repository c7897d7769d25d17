"""Writing a growing answer into Slack: one ordered writer per reply.

The turn hands over the whole text so far as often as it likes; the writer shows the first
text at once, then at most one edit per `interval`, always the newest text (an edit that
newer text has superseded is never sent), and the final text last. An answer longer than one
Slack message continues in further messages in the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.textsplit import split_message

log = logging.getLogger(__name__)

THINKING_STATUS = "is thinking…"


class ReplyWriter(Protocol):
    """What a turn needs from a reply; edit-in-place and native streaming both fit it."""

    async def start(self) -> None:
        """Show that the bot is working, within a moment of the event."""

    def append(self, delta: str) -> None:
        """More of the answer. Never blocks; the writer decides when Slack sees it."""

    async def finish(self) -> list[str]:
        """Deliver the complete text; returns the `ts` of every message the answer occupies."""


@dataclass
class _Posted:
    ts: str
    text: str


class EditReplyWriter:
    """`chat.postMessage` for the first text, `chat.update` as it grows."""

    def __init__(
        self, client: AsyncWebClient, *, channel: str, thread_ts: str, interval: float, max_chars: int
    ) -> None:
        self._client = client
        self._channel = channel
        self._thread_ts = thread_ts
        self._interval = interval
        self._max_chars = max_chars
        self._messages: list[_Posted] = []
        self._parts: list[str] = []
        self._dirty = asyncio.Event()
        self._finishing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.slack_writes = 0

    async def start(self) -> None:
        try:
            await self._client.assistant_threads_setStatus(
                channel_id=self._channel, thread_ts=self._thread_ts, status=THINKING_STATUS
            )
        except SlackApiError as exc:
            log.info("setStatus unavailable (%s); posting a placeholder", exc.response.get("error"))
            await self._post("_Thinking…_", index=0)

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def append(self, delta: str) -> None:
        self._parts.append(delta)
        self._dirty.set()
        if self._task is None:
            self._task = asyncio.create_task(self._flush_loop())

    async def finish(self) -> list[str]:
        self._finishing.set()
        self._dirty.set()
        if self._task is None:
            self._task = asyncio.create_task(self._flush_loop())
        await self._task
        return [message.ts for message in self._messages]

    async def _flush_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            started = time.monotonic()
            await self._render(self.text)
            if self._finishing.is_set() and not self._dirty.is_set():
                return
            remaining = self._interval - (time.monotonic() - started)
            if remaining > 0 and not self._finishing.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._finishing.wait(), remaining)

    async def _render(self, text: str) -> None:
        chunks = [chunk for chunk in split_message(text, self._max_chars) if chunk.strip()]
        for index, chunk in enumerate(chunks):
            if index >= len(self._messages):
                await self._post(chunk, index=index)
            elif self._messages[index].text != chunk:
                await self._update(index, chunk)

    async def _post(self, text: str, *, index: int) -> None:
        try:
            self.slack_writes += 1
            response = await self._client.chat_postMessage(
                channel=self._channel, thread_ts=self._thread_ts, markdown_text=text
            )
        except SlackApiError as exc:
            log.error("chat.postMessage failed: %s", exc.response.get("error"))
            return
        self._messages.insert(index, _Posted(str(response["ts"]), text))

    async def _update(self, index: int, text: str) -> None:
        message = self._messages[index]
        try:
            self.slack_writes += 1
            await self._client.chat_update(channel=self._channel, ts=message.ts, markdown_text=text)
        except SlackApiError as exc:
            log.warning("chat.update failed: %s", exc.response.get("error"))
            return
        message.text = text

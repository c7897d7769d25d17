"""A reply's status line while Claude works (tools, thinking), kept within Slack's rate budget.

Each tool's status is shown (in order, at most `MAX_QUEUED` waiting), since each says something
new; thinking streams many small deltas, so its status changes at most once per interval, always
to the newest text. A status set after the answer's text began would outlive the answer, so
closing clears one that was set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from slack_sdk.errors import SlackApiError

from bot.slack.client import BudgetedWebClient

log = logging.getLogger(__name__)

MAX_QUEUED = 20


class StatusLine:
    def __init__(self, client: BudgetedWebClient, channel: str, thread_ts: str, interval: float) -> None:
        self._client = client
        self._channel = channel
        self._thread_ts = thread_ts
        self._interval = interval
        self._queue: deque[tuple[str, bool]] = deque(maxlen=MAX_QUEUED)
        self._shown: str | None = None
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def show(self, status: str, *, passing: bool = False) -> None:
        """`passing`: only the newest of a run of such statuses matters (a thinking glimpse)."""
        if passing and self._queue and self._queue[-1][1]:
            self._queue[-1] = (status, True)
        else:
            self._queue.append((status, passing))
        self._changed.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        """The answer is done: what is still queued no longer matters, but a call under way ends
        first, so the clearing call can't overtake it."""
        if self._task is None:
            return
        self._closing.set()
        self._changed.set()
        await asyncio.wait({self._task})
        if self._shown:
            await self._send("")

    async def _run(self) -> None:
        while not self._closing.is_set():
            await self._changed.wait()
            self._changed.clear()
            while self._queue and not self._closing.is_set():
                status, passing = self._queue.popleft()
                if status != self._shown:
                    await self._send(status)
                if passing:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), self._interval)

    async def _send(self, status: str) -> None:
        with contextlib.suppress(SlackApiError):
            await self._client.assistant_threads_setStatus(
                channel_id=self._channel, thread_ts=self._thread_ts, status=status
            )
            self._shown = status

"""The arithmetic of one Slack rate limit, free of asyncio so it can be tested with a fake clock. Pure.

Slack counts calls in a sliding window (a minute for the tiers; "about one a second" for
`chat.postMessage` in a channel). A `WindowScheduler` hands out calls within `limit` per `window`
to two classes of caller: *urgent* ones (a reply's first and final text, reads a turn waits on,
notices) go first; *progress* calls (a growing answer's intermediate edits, helper messages) share
what is left, in arrival order, paced evenly over the window, and never take the calls kept for
the final text of replies still running (`reserve`) nor a small `margin` kept free for replies
that start meanwhile. A 429 despite all this pauses the limit for `Retry-After` and brings it back
gradually, over one window, to the configured rate: a budget always recovers.

A call counts from the moment it is granted, and once it is answered, from then on: Slack counts
it when it arrives, which in a busy process can be well after the grant, so a window measured
from grants alone would free up early and collect 429s.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

SHRINK_FACTOR = 0.8
"""After a 429 the limit restarts at this share of its rate, and climbs back within one window."""
MARGIN_SHARE = 0.1
"""Share of a window progress calls leave free, so a reply starting in a busy minute finds room."""

PER_CHANNEL = frozenset({"chat.postMessage"})
"""Methods Slack limits per channel ("about one message per second per channel")."""

_LIMIT = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d+(?:\.\d+)?)\s*s)?\s*$")


@dataclass(frozen=True)
class Limit:
    calls: int
    window: float = 60.0
    """Seconds."""
    per_channel: bool = False
    """Counted per channel (as Slack counts `chat.postMessage`), not per workspace."""


def parse_limit(value: int | str, *, per_channel: bool = False) -> Limit:
    """`45` (calls a minute) or `"8/10s"` (calls per that many seconds)."""
    if isinstance(value, int) and not isinstance(value, bool):
        calls, window = value, 60.0
    else:
        match = _LIMIT.match(str(value))
        if match is None:
            raise ValueError(f"{value!r} is not a rate such as 45 (a minute) or '8/10s'")
        calls, window = int(match.group(1)), float(match.group(2) or 60)
    if calls < 1 or window <= 0:
        raise ValueError(f"{value!r} must allow at least one call in a positive window")
    return Limit(calls, window, per_channel)


def parse_limits(raw: Mapping[str, int | str], per_channel: frozenset[str]) -> dict[str, Limit]:
    return {method: parse_limit(value, per_channel=method in per_channel) for method, value in raw.items()}


class WindowScheduler(Generic[T]):
    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.configured = max(1, limit)
        self.window = window
        self.reserve = 0
        """Calls progress leaves free for the final text of replies still running."""
        self._granted: list[list[float]] = []
        """One cell per call in the window: when it was granted, moved on to when it was answered."""
        self._cells: dict[T, list[float]] = {}
        self._urgent: deque[T] = deque()
        self._progress: deque[T] = deque()
        self._paused_until = 0.0
        self._floor = self.configured
        """Where the limit restarts after a 429, climbing back to `configured` over one window."""
        self._next_progress = 0.0
        """Progress is paced evenly over the window: a burst of it early on would leave nothing
        for the final text of replies that start a moment later."""

    def limit(self, now: float) -> int:
        if self._floor >= self.configured:
            return self.configured
        if now <= self._paused_until:
            return self._floor
        climbed = self._floor + (now - self._paused_until) * self.configured / self.window
        if climbed >= self.configured:
            self._floor = self.configured
            return self.configured
        return int(climbed)

    def request(self, ticket: T, *, urgent: bool) -> None:
        (self._urgent if urgent else self._progress).append(ticket)

    def cancel(self, ticket: T) -> None:
        for queue in (self._urgent, self._progress):
            if ticket in queue:
                queue.remove(ticket)

    @property
    def waiting(self) -> int:
        return len(self._urgent) + len(self._progress)

    def idle(self, now: float) -> bool:
        """Nothing waits, reserved or remembered: the scheduler can be forgotten."""
        self._forget_before(now)
        return not (self.waiting or self.reserve or self._granted) and self.limit(now) == self.configured

    def headroom(self, now: float) -> int:
        """Calls still free in this window once waiting callers and the reserve are served."""
        self._forget_before(now)
        free = self.limit(now) - len(self._granted) - len(self._urgent) - self.reserve
        return min(free, 0) if now < self._paused_until else free

    def _forget_before(self, now: float) -> None:
        if self._granted and min(cell[0] for cell in self._granted) <= now - self.window:
            self._granted = [cell for cell in self._granted if cell[0] > now - self.window]

    def _grant(self, ticket: T, now: float) -> None:
        cell = [now]
        self._granted.append(cell)
        self._cells[ticket] = cell

    def answered(self, ticket: T, now: float) -> None:
        """The granted call has been answered: it stays in the window from now on."""
        cell = self._cells.pop(ticket, None)
        if cell is not None:
            cell[0] = max(cell[0], now)

    def _progress_room(self, limit: int) -> int:
        """Progress never takes a call kept for a final text, even when that leaves it none."""
        return max(0, limit - self.reserve - math.ceil(limit * MARGIN_SHARE))

    def poll(self, now: float) -> tuple[list[T], float | None]:
        """Tickets granted now, and how long until the next could be (None: nobody waits)."""
        self._forget_before(now)
        limit = self.limit(now)
        granted: list[T] = []
        if now >= self._paused_until:
            while self._urgent and len(self._granted) < limit:
                ticket = self._urgent.popleft()
                granted.append(ticket)
                self._grant(ticket, now)
            paced = now >= self._next_progress
            if (
                self._progress
                and not self._urgent
                and len(self._granted) < self._progress_room(limit)
                and paced
            ):
                ticket = self._progress.popleft()
                granted.append(ticket)
                self._grant(ticket, now)
                self._next_progress = now + self.window / limit
        if not self.waiting:
            return granted, None
        if now < self._paused_until:
            return granted, self._paused_until - now
        waits = [min(cell[0] for cell in self._granted) + self.window - now] if self._granted else []
        if self._floor < self.configured:
            waits.append(self.window / self.configured)
        if self._progress and not self._urgent and len(self._granted) < self._progress_room(limit):
            waits.append(self._next_progress - now)
        return granted, max(min(waits, default=0.001), 0.001)

    def penalize(self, now: float, retry_after: float) -> None:
        """Honour a 429: nothing until `Retry-After` has passed, then a lower rate climbing back."""
        self._floor = max(1, int(self.limit(now) * SHRINK_FACTOR))
        self._paused_until = max(self._paused_until, now + retry_after)

"""A per-workspace budget for each Slack write method, shared by every reply in flight.

Slack counts calls per method per workspace per minute (`chat.update` is Tier 3, about 50 a
minute). The budget hands out calls in a sliding 60-second window a little under that, so
the app slows its edit cadence instead of collecting 429s. Two classes of caller: *urgent*
(a reply's first and final text, notices) go first; *progress* edits share what is left in
arrival order, paced evenly over the window, and since each reply asks again only after its
turn, they share it fairly. Progress edits also leave room for the final edits of the replies
still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.metrics import SLACK_RATE_LIMITED

log = logging.getLogger(__name__)

T = TypeVar("T")

SHRINK_FACTOR = 0.8
"""A 429 despite the budget means Slack's limit is lower than configured: use 80 % from then on."""


class WindowScheduler(Generic[T]):
    """The budget's arithmetic, free of asyncio so it can be tested with a fake clock."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = max(1, limit)
        self.window = window
        self.reserve = 0
        """Calls progress edits leave free for the final text of replies still running."""
        self._granted: deque[float] = deque()
        self._urgent: deque[T] = deque()
        self._progress: deque[T] = deque()
        self._paused_until = 0.0
        self._next_progress = 0.0
        """Progress edits are paced evenly over the window: a burst of them early on would leave
        nothing for the final text of replies that start a moment later."""

    def request(self, ticket: T, *, urgent: bool) -> None:
        (self._urgent if urgent else self._progress).append(ticket)

    def cancel(self, ticket: T) -> None:
        for queue in (self._urgent, self._progress):
            if ticket in queue:
                queue.remove(ticket)

    @property
    def waiting(self) -> int:
        return len(self._urgent) + len(self._progress)

    def headroom(self, now: float) -> int:
        """Calls still free in this window once waiting callers and the reserve are served."""
        self._forget_before(now)
        return self.limit - len(self._granted) - len(self._urgent) - self.reserve

    def _forget_before(self, now: float) -> None:
        while self._granted and self._granted[0] <= now - self.window:
            self._granted.popleft()

    def poll(self, now: float) -> tuple[list[T], float | None]:
        """Tickets granted now, and how long until the next could be (None: nobody waits)."""
        self._forget_before(now)
        granted: list[T] = []
        if now >= self._paused_until:
            while self._urgent and len(self._granted) < self.limit:
                granted.append(self._urgent.popleft())
                self._granted.append(now)
            progress_room = self.limit - min(self.reserve, self.limit - 1)
            paced = now >= self._next_progress
            if self._progress and not self._urgent and len(self._granted) < progress_room and paced:
                granted.append(self._progress.popleft())
                self._granted.append(now)
                self._next_progress = now + self.window / self.limit
        if not self.waiting:
            return granted, None
        if now < self._paused_until:
            return granted, self._paused_until - now
        waits = [self._granted[0] + self.window - now] if self._granted else []
        if self._progress and not self._urgent and len(self._granted) < self.limit:
            waits.append(self._next_progress - now)
        return granted, max(min(waits, default=0.001), 0.001)

    def penalize(self, now: float, retry_after: float) -> None:
        """Honour a 429: nothing until `Retry-After` has passed, and a smaller budget after."""
        self._paused_until = max(self._paused_until, now + retry_after)
        self.limit = max(1, int(self.limit * SHRINK_FACTOR))


class RateBudget:
    """One method in one workspace: `await acquire()` before each call."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.scheduler: WindowScheduler[asyncio.Future[None]] = WindowScheduler(limit, window)
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def acquire(self, *, urgent: bool) -> None:
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.scheduler.request(ticket, urgent=urgent)
        self._kick()
        try:
            await ticket
        except asyncio.CancelledError:
            self.scheduler.cancel(ticket)
            raise

    def penalize(self, retry_after: float) -> None:
        self.scheduler.penalize(self._clock(), retry_after)
        self._kick()

    def _kick(self) -> None:
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._grant_loop())

    async def _grant_loop(self) -> None:
        while True:
            self._wake.clear()
            granted, wait = self.scheduler.poll(self._clock())
            for ticket in granted:
                if not ticket.done():
                    ticket.set_result(None)
            if wait is None:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)


class Budgets:
    """Every (workspace, method) budget of the process; methods without a limit are free."""

    def __init__(self, limits: Mapping[str, int], window: float = 60.0) -> None:
        self._limits = dict(limits)
        self._window = window
        self._budgets: dict[tuple[str, str], RateBudget] = {}

    def get(self, workspace: str, method: str) -> RateBudget | None:
        limit = self._limits.get(method)
        if limit is None:
            return None
        key = (workspace, method)
        if key not in self._budgets:
            self._budgets[key] = RateBudget(limit, self._window)
        return self._budgets[key]

    async def acquire(self, workspace: str, method: str, *, urgent: bool) -> None:
        budget = self.get(workspace, method)
        if budget is not None:
            await budget.acquire(urgent=urgent)

    def headroom(self, workspace: str, method: str) -> float:
        budget = self.get(workspace, method)
        return float("inf") if budget is None else budget.scheduler.headroom(time.monotonic())

    def reserve(self, workspace: str, method: str, delta: int) -> None:
        budget = self.get(workspace, method)
        if budget is not None:
            budget.scheduler.reserve = max(0, budget.scheduler.reserve + delta)

    def penalize(self, workspace: str, method: str, retry_after: float) -> None:
        budget = self.get(workspace, method)
        if budget is not None:
            log.warning("Slack rate-limited %s; pausing %.1fs and shrinking its budget", method, retry_after)
            budget.penalize(retry_after)


def workspace_key(token: str | None) -> str:
    """Budgets are per workspace, and a bot token is one workspace's; hashed so it isn't kept in clear."""
    return hashlib.sha256((token or "").encode()).hexdigest()[:16]


class BudgetAwareRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's own 429 retry, which also tells the budget (a 429 should have been avoided)."""

    def __init__(self, budgets: Budgets, max_retry_count: int = 3) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._budgets = budgets

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is not None:
            retry_after = _header(response.headers, "retry-after")
            token = (_header(request.headers, "authorization") or "").removeprefix("Bearer ")
            method = request.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
            self._budgets.penalize(workspace_key(token), method, float(retry_after or 1))
            SLACK_RATE_LIMITED.labels(method).inc()
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


def _header(headers: Mapping[str, object], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return None

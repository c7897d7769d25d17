"""Monthly token budgets: the arithmetic and the words. Pure.

A budget counts every token a workspace's Claude calls used in the calendar month (UTC): input,
output, cache writes and cache reads, as the ledger records them. A workspace's own setting
overrides the deployment's `MONTHLY_TOKEN_BUDGET`; 0 there means "no budget".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

WARN_AT = 0.8
"""Share of the budget at which admins get their once-a-month heads-up."""


def month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: datetime) -> datetime:
    start = month_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def month_key(now: datetime) -> str:
    """`YYYY-MM`, as `WorkspaceSettings.budget_warned_month` stores it."""
    return f"{month_start(now):%Y-%m}"


def effective_limit(workspace: int | None, default: int | None) -> int | None:
    """The budget that applies: the workspace's own (0 = none), else the deployment's."""
    if workspace is None:
        return default
    return workspace or None


@dataclass(frozen=True)
class BudgetStatus:
    used: int
    limit: int
    now: datetime
    warned_month: str | None
    """The month whose warning already went out, if any."""

    @property
    def share(self) -> float:
        return self.used / self.limit

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit

    @property
    def month(self) -> str:
        return month_key(self.now)

    @property
    def needs_warning(self) -> bool:
        return self.share >= WARN_AT and self.warned_month != self.month


@dataclass(frozen=True)
class Estimate:
    """What one Claude call may spend: its prompt, as estimated before the call, and its answer at
    most `max_tokens`."""

    prompt_tokens: int
    max_tokens: int

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.max_tokens


def admits(estimate: Estimate, *, spent: int, reserved: int, limit: int) -> bool:
    """Whether a call may start, given the month's spending, the reservations of calls in flight and
    the budget; the call then reserves `estimate.tokens`.

    The prompt must fit beside everything spent and reserved; the answer may not. Requiring the
    whole estimate to fit would refuse every question once less than `max_tokens` is left (a 4,096
    token cap refuses at 99.6 % of a 1M budget, with room shown in `/claude budget`), and a budget
    under `max_tokens` would never answer at all. Since every call in flight holds its whole
    estimate, a month still ends at most one answer's `max_tokens` past its budget, however many
    calls start at once, on however many replicas.
    """
    return spent + reserved + estimate.prompt_tokens <= limit


def format_tokens(count: int) -> str:
    """Compact and readable: 950, 12.5k, 4.1M."""
    if count < 10_000:
        return f"{count:,}"
    if count < 1_000_000:
        return f"{count / 1_000:.1f}".removesuffix(".0") + "k"
    return f"{count / 1_000_000:.1f}".removesuffix(".0") + "M"


def _reset_day(now: datetime) -> str:
    start = next_month_start(now)
    return f"{start.day} {start:%B} (UTC)"


def exhausted_notice(status: BudgetStatus) -> str:
    """Said in the thread instead of an answer."""
    return (
        f"🪫 This workspace has used its monthly Claude budget ({format_tokens(status.limit)} tokens), "
        f"so I can't answer until {_reset_day(status.now)}. A workspace admin can raise it with "
        "`/claude budget`."
    )


def warning_message(status: BudgetStatus) -> str:
    """The DM each admin and owner gets once a month when the budget is 80 % spent."""
    if status.exhausted:
        state = "has used all of its monthly Claude budget: I've stopped answering"
    else:
        state = (
            f"has used {status.share:.0%} of its monthly Claude budget; at 100 % I stop answering "
            f"until {_reset_day(status.now)}"
        )
    return (
        f"Heads-up: this workspace {state}. So far this month: {format_tokens(status.used)} of "
        f"{format_tokens(status.limit)} tokens. Raise or remove the budget with "
        "`/claude budget <tokens>` or `/claude budget off`; `/claude usage` shows the details."
    )


def summary_line(status: BudgetStatus | None) -> str:
    """One line for `/claude budget` and `/claude usage`: the workspace's month against its budget."""
    if status is None:
        return "This workspace has no monthly token budget."
    line = (
        f"This month so far: {format_tokens(status.used)} of {format_tokens(status.limit)} tokens "
        f"({status.share:.0%} of the workspace's monthly budget)."
    )
    if status.exhausted:
        line += f" I'm not answering until {_reset_day(status.now)} unless an admin raises it."
    return line

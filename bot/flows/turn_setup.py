"""What a turn needs from the store before it calls Claude: the model, the system prompt, whether
the workspace's monthly budget still allows the call, and then the call's reservation.

Everything before the call comes from one settings read and, only when a budget applies, one
ledger sum. The turn runs this alongside its first Slack call, so the check costs it no time of its
own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.claude.server_tools import search_allowance
from bot.core.context_window import estimate_tokens
from bot.core.features import Features
from bot.core.model_choice import Source, choose
from bot.core.routing import Thread
from bot.core.system_prompt import system_prompt
from bot.core.token_budget import BudgetStatus, Estimate, effective_limit, exhausted_notice, month_start
from bot.flows.budget_warning import warn_in_background
from bot.flows.shared import Services
from bot.process.config import Settings
from bot.store import feature_settings, ledger, spending, workspace_settings
from bot.store.models import utcnow

WRITING_MARGIN = timedelta(minutes=5)
"""Beyond Claude's deadlines, what a turn may take to write its answer to Slack and settle."""


@dataclass(frozen=True)
class TurnSetup:
    model: str
    system: str
    refusal: str | None
    """Said in the thread instead of calling Claude (the budget is spent), or None."""
    budget: BudgetStatus | None = None
    """The workspace's month against its budget; None when no budget applies."""
    features: Features = field(default_factory=Features)
    """The web tools and thinking that are on in this channel."""


@dataclass(frozen=True)
class Reservation:
    id: str | None
    """What the turn settles with its ledger row; None when no budget applies (or it was refused)."""
    refusal: str | None = None
    """Said in the thread instead of calling Claude: the budget can't take this call now."""


async def load_setup(services: Services, client: AsyncWebClient, thread: Thread) -> TurnSetup:
    settings = services.settings
    found = await workspace_settings.for_turn(services.db, thread.team_id, thread.channel_id)
    model, _ = model_for(settings, found)
    system = system_prompt(
        settings.bot_system_prompt,
        workspace_prompt=found.workspace_prompt,
        channel_prompt=found.channel_prompt,
    )
    status = await budget_status(
        services, thread.team_id, found.monthly_token_budget, found.budget_warned_month
    )
    if status is not None and status.needs_warning:
        warn_in_background(services.db, client, thread.team_id, status)
    refusal = exhausted_notice(status) if status is not None and status.exhausted else None
    features = await feature_settings.for_channel(services.db, thread.team_id, thread.channel_id)
    return TurnSetup(model, system, refusal, status, features)


async def reserve(
    services: Services, thread: Thread, setup: TurnSetup, params: dict[str, Any]
) -> Reservation:
    """Set the call's estimate aside against the month's budget, in the database, so concurrent
    turns on every replica see it before their own call."""
    if setup.budget is None:
        return Reservation(None)
    answer = params["max_tokens"] + search_allowance(params, services.settings)
    estimate = Estimate(estimate_tokens(params["system"], params["messages"]), answer)
    now = utcnow()
    reserved = await spending.reserve(
        services.db,
        thread.team_id,
        estimate,
        limit=setup.budget.limit,
        now=now,
        ttl=reservation_ttl(services.settings),
    )
    if reserved.id is None:
        status = BudgetStatus(reserved.spent + reserved.reserved, setup.budget.limit, now, None)
        return Reservation(None, exhausted_notice(status))
    return Reservation(reserved.id)


def reservation_ttl(settings: Settings) -> timedelta:
    """As long as a turn may legitimately hold its reservation: two Claude calls (the retry with a
    shorter thread) to their total deadline, then writing the answer. A crashed turn's reservation
    stops counting after that."""
    return timedelta(seconds=2 * settings.claude_total_timeout) + WRITING_MARGIN


def model_for(settings: Settings, found: workspace_settings.TurnSettings) -> tuple[str, Source]:
    return choose(
        channel=found.channel_model,
        workspace=found.workspace_model,
        default=settings.claude_model,
        allowed=settings.allowed_models,
    )


async def budget_status(
    services: Services, team_id: str, workspace_budget: int | None, warned_month: str | None
) -> BudgetStatus | None:
    """This month's use against the budget that applies; None when none does (no query then)."""
    limit = effective_limit(workspace_budget, services.settings.monthly_token_budget)
    if limit is None:
        return None
    now = utcnow()
    used = await ledger.tokens_since(services.db, team_id, month_start(now))
    return BudgetStatus(used, limit, now, warned_month)

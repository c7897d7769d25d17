"""What a turn needs from the store before it calls Claude: the model, the system prompt, and
whether the workspace's monthly budget still allows the call.

Everything comes from one settings read and, only when a budget applies, one ledger sum. The turn
runs this alongside its first Slack call, so the check costs it no time of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.budget import BudgetStatus, effective_limit, exhausted_notice, month_start
from bot.config import Settings
from bot.model_choice import Source, choose
from bot.prompts import system_prompt
from bot.routing import Thread
from bot.services import Services
from bot.slack.budget_warning import warn_in_background
from bot.store import ledger
from bot.store import settings as stored
from bot.store.models import utcnow


@dataclass(frozen=True)
class TurnSetup:
    model: str
    system: str
    refusal: str | None
    """Said in the thread instead of calling Claude (the budget is spent), or None."""


async def load_setup(services: Services, client: AsyncWebClient, thread: Thread) -> TurnSetup:
    settings = services.settings
    found = await stored.for_turn(services.db, thread.team_id, thread.channel_id)
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
    return TurnSetup(model, system, refusal)


def model_for(settings: Settings, found: stored.TurnSettings) -> tuple[str, Source]:
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

"""Publishing the App Home tab for one person: who they are decides what it shows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.feature_replies import workspace_features
from bot.core.features import WORKSPACE
from bot.core.home_view import chart_days, home_view, window_start
from bot.core.token_budget import effective_limit, month_start
from bot.flows.shared import Services
from bot.store import feature_settings, workspace_settings
from bot.store.models import utcnow
from bot.store.usage_report import workspace_usage

log = logging.getLogger(__name__)


async def publish_home(
    services: Services, client: AsyncWebClient, *, team_id: str, user_id: str, bot_user_id: str
) -> None:
    """Built fresh on every open, so admins always see current figures; members never get them.

    The tab appears at once, with today's chart if there is one; a chart drawn for this open
    follows in a second publish. Slack processes an uploaded file before an `image` block may
    show it: a chart it refuses (`invalid_blocks`) is left out, and the next open shows it."""
    now = utcnow()
    today = now.date()
    usage, budget = None, None
    if await services.roles.is_admin(client, team_id, user_id):
        usage = await workspace_usage(
            services.db, team_id, since=window_start(today), month_start=month_start(now)
        )
        workspace = await workspace_settings.workspace(services.db, team_id)
        budget = effective_limit(workspace.monthly_token_budget, services.settings.monthly_token_budget)

    defaults = await feature_settings.for_channel(services.db, team_id, WORKSPACE)
    features = workspace_features(defaults, default_uses=services.settings.web_max_uses)

    def view(chart: str | None) -> dict[str, Any]:
        return home_view(
            bot_user_id=bot_user_id, usage=usage, budget=budget, today=today, chart=chart, features=features
        )

    if usage is None or not any(usage.daily.values()):
        await _publish(client, user_id, view, None)
        return
    charts = services.charts
    shown = charts.shown(team_id, today)
    if not await _publish(client, user_id, view, shown):
        charts.forget(team_id)
        shown = None
        await _publish(client, user_id, view, None)
    drawn = await charts.current(client, team_id, chart_days(usage.daily, today))
    if drawn is not None and drawn != shown and not await _publish(client, user_id, view, drawn):
        log.info("Slack is not ready to show the new App Home chart yet; the next open shows it")


async def _publish(
    client: AsyncWebClient, user_id: str, view: Callable[[str | None], dict[str, Any]], chart: str | None
) -> bool:
    """False when Slack would not show `chart`; any other failure is logged and left there."""
    try:
        await client.views_publish(user_id=user_id, view=view(chart))
    except SlackApiError as exc:
        error = exc.response.get("error")
        if chart is not None and error == "invalid_blocks":
            return False
        log.warning("views.publish failed: %s", error)
    return True

"""Publishing the App Home tab for one person: who they are decides what it shows."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.budget import effective_limit, month_start
from bot.home import home_view, window_start
from bot.services import Services
from bot.store import settings as stored
from bot.store.models import utcnow
from bot.store.usage_report import workspace_usage

log = logging.getLogger(__name__)


async def publish_home(
    services: Services, client: AsyncWebClient, *, team_id: str, user_id: str, bot_user_id: str
) -> None:
    """Built fresh on every open, so admins always see current figures; members never get them."""
    now = utcnow()
    usage, budget = None, None
    if await services.roles.is_admin(client, team_id, user_id):
        usage = await workspace_usage(
            services.db, team_id, since=window_start(now.date()), month_start=month_start(now)
        )
        workspace = await stored.workspace(services.db, team_id)
        budget = effective_limit(workspace.monthly_token_budget, services.settings.monthly_token_budget)
    view = home_view(bot_user_id=bot_user_id, usage=usage, budget=budget, today=now.date())
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))

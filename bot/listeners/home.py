"""The App Home tab, published each time someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.flows.home_tab import publish_home
from bot.listeners.context import services_of


async def home_opened(event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
    if event.get("tab") != "home" or not context.user_id:
        return
    await publish_home(
        services_of(context),
        client,
        team_id=str(context.team_id or ""),
        user_id=str(context.user_id),
        bot_user_id=str(context.bot_user_id),
    )


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)

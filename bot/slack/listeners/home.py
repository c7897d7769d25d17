"""The App Home tab, published each time someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from bot.slack.home import publish_home


def register(app: AsyncApp, services: Services) -> None:
    async def on_home_opened(
        event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return
        await publish_home(
            services,
            client,
            team_id=str(context.team_id or ""),
            user_id=str(event["user"]),
            bot_user_id=str(context.bot_user_id),
        )

    app.event("app_home_opened")(on_home_opened)

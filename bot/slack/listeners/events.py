"""Event listeners. Every event type the manifest subscribes to has one, so Bolt never
answers Slack with a 404 (which Slack counts as a failed delivery)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.intake import take_message
from bot.services import Services
from bot.slack.client import BudgetedWebClient


def register(app: AsyncApp, services: Services) -> None:
    async def on_message(
        event: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: BudgetedWebClient,
        request: AsyncBoltRequest,
    ) -> None:
        redelivered = bool(request.headers.get("x-slack-retry-num"))
        await take_message(
            services, event, context, client, event_id=body.get("event_id"), redelivered=redelivered
        )

    async def ignore() -> None:
        """Any other event (a new subscription, a type Slack adds later) is acknowledged, not 404'd."""

    app.event("app_mention")(on_message)
    app.event("message")(on_message)
    app.event(re.compile(".*"))(ignore)

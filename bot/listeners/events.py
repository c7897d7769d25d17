"""Event listeners. Every event type the manifest subscribes to has one, so Bolt never
answers Slack with a 404 (which Slack counts as a failed delivery)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.flows.intake import take_message
from bot.listeners.context import services_of
from bot.slack.client import BudgetedWebClient


async def message_received(
    event: dict[str, Any],
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: BudgetedWebClient,
    request: AsyncBoltRequest,
) -> None:
    """A mention, or a message in a DM or in a thread the bot is part of."""
    redelivered = bool(request.headers.get("x-slack-retry-num"))
    await take_message(
        services_of(context), event, context, client, event_id=body.get("event_id"), redelivered=redelivered
    )


async def ignored() -> None:
    """Any other event (a new subscription, a type Slack adds later) is acknowledged, not 404'd."""


def register(app: AsyncApp) -> None:
    app.event("app_mention")(message_received)
    app.event("message")(message_received)
    app.event(re.compile(".*"))(ignored)

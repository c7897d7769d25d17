"""One Slack search as the asker: `assistant.search.context` (Slack's Real-time Search API) with
the bot token and the `action_token` of the event that started the turn, through the budgeted
client (Slack allows about 10 a minute per workspace)."""

from __future__ import annotations

from typing import Any

from bot.slack.client import BudgetedWebClient


async def search_messages(client: BudgetedWebClient, args: dict[str, Any]) -> dict[str, Any]:
    """Slack's answer as data; raises `SlackApiError` when Slack refuses (an expired token, the
    rate limit after the client's retries)."""
    response = await client.api_call("assistant.search.context", json=args)
    return dict(response.data) if isinstance(response.data, dict) else {}

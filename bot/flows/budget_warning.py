"""The once-a-month DM to a workspace's admins and owners when its token budget is 80 % spent.

Admins are found with `users.list` (the `users:read` scope the bot already has): paging through
a large workspace is slow but happens once a month, in the background, so no turn waits for it.
The month is claimed in the database before anything is sent, so of several replicas crossing
the line together exactly one sends.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.permissions import is_admin
from bot.core.token_budget import BudgetStatus, warning_message
from bot.store import Database, workspace_settings

log = logging.getLogger(__name__)

PAGE_SIZE = 200
"""Slack's advice for `users.list` pages."""

_sending: set[asyncio.Task[None]] = set()
"""Warnings being sent, kept referenced until done (the event loop only holds weak references)."""


def warn_in_background(db: Database, client: AsyncWebClient, team_id: str, status: BudgetStatus) -> None:
    task = asyncio.create_task(warn_admins(db, client, team_id, status))
    _sending.add(task)
    task.add_done_callback(_sending.discard)


async def warn_admins(db: Database, client: AsyncWebClient, team_id: str, status: BudgetStatus) -> None:
    try:
        if not await workspace_settings.claim_budget_warning(db, team_id, status.month):
            return
        admins = await workspace_admins(client)
        text = warning_message(status)
        for user_id in admins:
            try:
                # A user id as the channel posts in the app's DM with that person (chat:write only).
                await client.chat_postMessage(channel=user_id, text=text)
            except SlackApiError as exc:
                log.warning("budget warning to %s failed: %s", user_id, exc.response.get("error"))
        log.info("budget warning for %s sent to %d admins", team_id, len(admins))
    except Exception:  # a background task has nobody to raise to: log it rather than lose it
        log.exception("budget warning for %s failed", team_id)


async def workspace_admins(client: AsyncWebClient) -> list[str]:
    """Ids of the workspace's active human admins and owners."""
    admins: list[str] = []
    cursor = None
    while True:
        response = await client.users_list(limit=PAGE_SIZE, cursor=cursor)
        for user in response.get("members") or []:
            if is_admin(user) and not user.get("deleted") and not user.get("is_bot"):
                admins.append(str(user["id"]))
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return admins

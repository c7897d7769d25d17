"""Reading a thread back from Slack, the only transcript there is."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

PAGE_SIZE = 200


async def fetch_thread(client: AsyncWebClient, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """Every message of the thread, over all pages, with metadata so notices can be told apart."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        response = await client.conversations_replies(
            channel=channel, ts=thread_ts, limit=PAGE_SIZE, cursor=cursor, include_all_metadata=True
        )
        messages.extend(response.get("messages") or [])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor or not response.get("has_more", True):
            return messages


def with_trigger(thread: list[dict[str, Any]], trigger: dict[str, Any]) -> list[dict[str, Any]]:
    """The thread including the message that started this turn.

    `conversations.replies` is eventually consistent: a message that just arrived may not be
    in it yet.
    """
    ts = trigger.get("ts")
    if any(message.get("ts") == ts for message in thread):
        return thread
    return sorted([*thread, trigger], key=lambda message: float(message.get("ts") or 0))

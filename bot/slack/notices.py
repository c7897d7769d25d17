"""The bot's own notices in a thread (errors, cut answers …), tagged so history skips them."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.slack.blocks import notice_blocks

log = logging.getLogger(__name__)


async def post_notice(
    client: AsyncWebClient,
    *,
    channel: str,
    thread_ts: str,
    text: str,
    kind: str,
    actions: list[dict[str, Any]] | None = None,
) -> str | None:
    """Post a short context-styled note (with buttons, if any); its ts, or None when Slack refused it."""
    blocks = notice_blocks(text, actions=actions)
    try:
        response = await client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=blocks,
            metadata={"event_type": NOTICE_EVENT_TYPE, "event_payload": {"kind": kind}},
        )
    except SlackApiError as exc:
        log.error("could not post a %s notice: %s", kind, exc.response.get("error"))
        return None
    return str(response["ts"])

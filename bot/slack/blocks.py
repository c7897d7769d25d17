"""Block Kit pieces the bot posts. Pure."""

from __future__ import annotations

from typing import Any

STOP_ACTION = "stop_reply"
RETRY_ACTION = "retry_turn"
CONTINUE_ACTION = "continue_turn"

Block = dict[str, Any]


def answer_blocks(text: str, *, stop_value: str | None) -> list[Block]:
    """The answer as Slack's own Markdown block, with a Stop button while it is still being written."""
    blocks: list[Block] = [{"type": "markdown", "text": text}]
    if stop_value is not None:
        blocks.append(stop_actions(stop_value))
    return blocks


def stop_actions(value: str) -> Block:
    return {
        "type": "actions",
        "block_id": "reply_controls",
        "elements": [
            {
                "type": "button",
                "action_id": STOP_ACTION,
                "text": {"type": "plain_text", "text": "■ Stop"},
                "value": value,
            }
        ],
    }


def notice_blocks(text: str, *, actions: list[Block] | None = None) -> list[Block]:
    blocks: list[Block] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}]
    if actions:
        blocks.append({"type": "actions", "elements": actions})
    return blocks


def button(text: str, action_id: str, value: str) -> Block:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }

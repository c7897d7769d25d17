"""Block Kit pieces the bot posts. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.core.ownership import Owner

STOP_ACTION = "stop_reply"
RETRY_ACTION = "retry_turn"
CONTINUE_ACTION = "continue_turn"
FEEDBACK_ACTION = "answer_feedback"

Block = dict[str, Any]


def answer_blocks(text: str, *, stop_value: str | None, feedback_ts: str | None = None) -> list[Block]:
    """The answer as Slack's own Markdown block, with a Stop button while it is still being written
    and, once it is finished, 👍/👎 for the answer that starts at `feedback_ts`."""
    blocks: list[Block] = [{"type": "markdown", "text": text}]
    if stop_value is not None:
        blocks.append(stop_actions(stop_value))
    if feedback_ts is not None:
        blocks.append(feedback_actions(feedback_ts))
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


def feedback_actions(reply_ts: str) -> Block:
    """Slack's own feedback buttons. Each value names the answer (by its first message's ts, which
    the ledger row keeps) so a press finds its row wherever the answer was split."""
    return {
        "type": "context_actions",
        "block_id": f"feedback_{reply_ts}" if reply_ts else "feedback",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": FEEDBACK_ACTION,
                "positive_button": {
                    "text": {"type": "plain_text", "text": "👍"},
                    "accessibility_label": "Good answer",
                    "value": f"+1 {reply_ts}",
                },
                "negative_button": {
                    "text": {"type": "plain_text", "text": "👎"},
                    "accessibility_label": "Bad answer",
                    "value": f"-1 {reply_ts}",
                },
            }
        ],
    }


def feedback_vote(value: str, message_ts: str) -> tuple[int, str] | None:
    """(+1 or -1, the answer's ts) from a feedback button's value; None for anything else. A value
    without a ts is on the answer's only message, `message_ts` (posted with its buttons in one call,
    before its ts was known)."""
    rating, _, reply_ts = value.partition(" ")
    if rating not in ("+1", "-1") or not (reply_ts or message_ts):
        return None
    return int(rating), reply_ts or message_ts


@dataclass(frozen=True)
class AgainTarget:
    """The thread a Retry or Continue button answers again, and the workspace that owns it."""

    owner: Owner
    channel_id: str
    thread_ts: str


def again_value(target: AgainTarget) -> str:
    owner = {
        "w": target.owner.team_id,
        **({"e": target.owner.enterprise_id} if target.owner.enterprise_id else {}),
    }
    return json.dumps({"c": target.channel_id, "t": target.thread_ts, **owner})


def again_target(value: str) -> AgainTarget | None:
    """The target a Retry or Continue button names; None for a value without its workspace (one
    posted before buttons named it), which can't be checked and so does nothing."""
    try:
        fields = json.loads(value)
    except ValueError:
        return None
    if not isinstance(fields, dict) or not all(isinstance(fields.get(key), str) for key in ("c", "t", "w")):
        return None
    enterprise = fields.get("e")
    owner = Owner(fields["w"], enterprise if isinstance(enterprise, str) else None)
    return AgainTarget(owner, fields["c"], fields["t"])

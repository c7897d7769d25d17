"""The prompt editor: a modal with one multi-line field. Pure Block Kit in, plain values out.

Which prompt it edits (a channel's, or the workspace's) travels in `private_metadata`, since the
submission arrives on its own, without the slash command that opened it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CALLBACK_ID = "prompt_editor"
BLOCK_ID = "prompt"
ACTION_ID = "prompt_text"
MAX_CHARS = 3_000
"""Slack's limit for a plain_text_input."""


@dataclass(frozen=True)
class Target:
    """The prompt a modal edits: a channel's, or with `channel_id` None the workspace's."""

    channel_id: str | None

    @property
    def workspace(self) -> bool:
        return self.channel_id is None


def editor_view(target: Target, current: str | None) -> dict[str, Any]:
    if target.workspace:
        title, label = "Workspace prompt", "Instructions for Claude in every channel"
        hint = "Every channel gets these, before its own prompt. Leave empty to remove them."
    else:
        title, label = "Channel prompt", "Instructions for Claude in this channel"
        hint = "Everyone here gets these from their next message on. Leave empty to remove them."
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ACTION_ID,
        "multiline": True,
        "max_length": MAX_CHARS,
        "focus_on_load": True,
        "placeholder": {
            "type": "plain_text",
            "text": "e.g. You answer as a terse SRE. Prefer shell one-liners.",
        },
    }
    if current:
        element["initial_value"] = current
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"channel": target.channel_id}),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": BLOCK_ID,
                "optional": True,
                "label": {"type": "plain_text", "text": label},
                "hint": {"type": "plain_text", "text": hint},
                "element": element,
            }
        ],
    }


def saved_view(target: Target, prompt: str | None) -> dict[str, Any]:
    """What the modal turns into once saved, so the person sees it worked."""
    where = "every channel" if target.workspace else f"<#{target.channel_id}>"
    text = (
        f"✅ Saved. From the next message on, Claude in {where} follows the new prompt."
        if prompt
        else f"✅ Removed. Claude in {where} is back to the default instructions."
    )
    return {
        "type": "modal",
        "callback_id": f"{CALLBACK_ID}_saved",
        "title": {"type": "plain_text", "text": "Workspace prompt" if target.workspace else "Channel prompt"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def submitted(view: dict[str, Any]) -> tuple[Target, str | None]:
    """The target and the text typed (None when left empty) from a `view_submission`'s view."""
    metadata = json.loads(view.get("private_metadata") or "{}")
    values = ((view.get("state") or {}).get("values") or {}).get(BLOCK_ID) or {}
    text = ((values.get(ACTION_ID) or {}).get("value") or "").strip()
    return Target(metadata.get("channel")), text or None

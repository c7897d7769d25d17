"""Who may change what with `/claude`. Pure: the caller brings the person's Slack user object
and the workspace's choice, so the rules are tested with plain data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.command_syntax import Command

WORKSPACE_CHANGES = {
    "prompt_edit": "the workspace-wide prompt",
    "prompt_set": "the workspace-wide prompt",
    "prompt_reset": "the workspace-wide prompt",
    "model_set": "the workspace's default model",
    "model_reset": "the workspace's default model",
    "feature_set": "tools and thinking for every channel",
    "feature_reset": "tools and thinking for every channel",
}
"""With `--workspace`, these change every channel."""
ADMIN_ONLY = {
    "prompt_lock": "who may change channel prompts and models",
    "budget_set": "the monthly token budget",
    "budget_reset": "the monthly token budget",
    "feature_limit": "a tool's uses per answer",
}
CHANNEL_CHANGES = {
    "prompt_edit": "channel prompts",
    "prompt_set": "channel prompts",
    "prompt_reset": "channel prompts",
    "model_set": "channel models",
    "model_reset": "channel models",
    "feature_set": "channel tools and thinking",
    "feature_reset": "channel tools and thinking",
}
"""Open to everyone in the channel, unless an admin turned `admins-only` on."""


def is_admin(user: Mapping[str, Any]) -> bool:
    """Workspace admins and owners, and on Enterprise Grid the org's admins and owners."""
    grid = user.get("enterprise_user") or {}
    flags = ("is_admin", "is_owner", "is_primary_owner")
    return any(bool(user.get(flag)) for flag in flags) or any(bool(grid.get(flag)) for flag in flags[:2])


def needs_admin(command: Command, *, channel_locked: bool) -> bool:
    """Whether the command is refused to someone who is not an admin or owner."""
    if command.kind in ADMIN_ONLY:
        return True
    if command.workspace and command.kind in WORKSPACE_CHANGES:
        return True
    return channel_locked and command.kind in CHANNEL_CHANGES


def refusal(command: Command, *, admin: bool, channel_locked: bool) -> str | None:
    """A short, specific reason when this person may not run this command; None when they may."""
    if admin or not needs_admin(command, channel_locked=channel_locked):
        return None
    if command.workspace and command.kind in WORKSPACE_CHANGES:
        what = WORKSPACE_CHANGES[command.kind]
    elif command.kind in ADMIN_ONLY:
        what = ADMIN_ONLY[command.kind]
    else:
        return (
            f"In this workspace only admins and owners can change {CHANNEL_CHANGES[command.kind]}. "
            "Ask one of them, or ask them to turn that off with `/claude prompt admins-only off`."
        )
    return f"Only workspace admins and owners can change {what}. Ask one of them if it should change."

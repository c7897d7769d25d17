"""Which Claude model a channel uses. Pure.

A channel's own choice wins, then the workspace's default, then `CLAUDE_MODEL`. A stored choice
the operator has since taken out of `CLAUDE_MODELS` is skipped rather than sent to the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

Source = Literal["channel", "workspace", "default"]


def choose(
    *, channel: str | None, workspace: str | None, default: str, allowed: Sequence[str]
) -> tuple[str, Source]:
    """The model to call and where that choice came from."""
    if channel and channel in allowed:
        return channel, "channel"
    if workspace and workspace in allowed:
        return workspace, "workspace"
    return default, "default"


def find(requested: str, allowed: Sequence[str]) -> str | None:
    """The allowed model id someone typed (any case, backticks and all), or None."""
    wanted = requested.strip().strip("`").lower()
    return next((model for model in allowed if model.lower() == wanted), None)

"""Optional features that cost money (web tools, extended thinking): what each is, and how a
channel's choice and its workspace's layer. Pure.

Off unless chosen. A channel's own choice wins over the workspace's, as a channel's model does;
anyone may make a channel's (unless admins reserved that with `/claude prompt admins-only on`),
only admins the workspace's. A `workspace_only` feature (Slack search) has no channel layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

WORKSPACE = "*"
"""The `scope` of a workspace-wide setting; a channel's is its id."""

Layer = Literal["channel", "workspace", "default"]


@dataclass(frozen=True)
class Feature:
    name: str
    command: str
    """How it is typed after `/claude`: `tools web`, `thinking`."""
    title: str
    what: str
    limited: bool = False
    """Has a per-answer limit of uses (`max_uses`), set per workspace."""
    workspace_only: bool = False
    """Chosen for the whole workspace, by admins only: channels can't choose for themselves."""


FEATURES: Mapping[str, Feature] = {
    "web": Feature(
        "web",
        "tools web",
        "Web search and page reading",
        "Claude may search the web and read pages, and cites them under the answer. Each search costs extra.",
        limited=True,
    ),
    "thinking": Feature(
        "thinking",
        "thinking",
        "Extended thinking",
        "Claude thinks before answering (shown in the status line); thinking uses output tokens.",
    ),
    "slack": Feature(
        "slack",
        "tools slack",
        "Slack search",
        "Claude may search Slack as the person asking (only what they can see) and links what it used.",
        workspace_only=True,
    ),
}
TOOLS = ("web", "slack")
"""The features `/claude tools` lists and switches."""


@dataclass(frozen=True)
class Choice:
    scope: str
    feature: str
    enabled: bool | None
    max_uses: int | None = None


@dataclass(frozen=True)
class Features:
    """What applies in one channel."""

    on: frozenset[str] = frozenset()
    layers: Mapping[str, Layer] = field(default_factory=dict)
    max_uses: Mapping[str, int] = field(default_factory=dict)
    """The workspace's limits; absent means the deployment's default."""

    def enabled(self, name: str) -> bool:
        return name in self.on


def layer(choices: Iterable[Choice], channel_id: str) -> Features:
    by_scope = {(c.scope, c.feature): c for c in choices}
    on: set[str] = set()
    layers: dict[str, Layer] = {}
    limits: dict[str, int] = {}
    for name in FEATURES:
        own, workspace = by_scope.get((channel_id, name)), by_scope.get((WORKSPACE, name))
        if FEATURES[name].workspace_only:
            own = None
        if own is not None and own.enabled is not None:
            enabled, layers[name] = own.enabled, "channel"
        elif workspace is not None and workspace.enabled is not None:
            enabled, layers[name] = workspace.enabled, "workspace"
        else:
            enabled, layers[name] = False, "default"
        if enabled:
            on.add(name)
        if workspace is not None and workspace.max_uses is not None:
            limits[name] = workspace.max_uses
    return Features(frozenset(on), layers, limits)

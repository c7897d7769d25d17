"""Which workspace a button belongs to. Pure.

In a Slack Connect channel people of two workspaces see the same messages and the same buttons,
and a click arrives as the clicking person's workspace (Bolt's `context.team_id` and
`enterprise_id`). A click acts only on what its own workspace's turn put there: otherwise one
workspace could stop another's answer, or run a turn on its thread with its own token and ledger.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Owner:
    team_id: str
    enterprise_id: str | None = None

    def allows(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether a click from this workspace (and organisation) may act on what the owner issued."""
        return self.team_id == (team_id or "") and self.enterprise_id == (enterprise_id or None)

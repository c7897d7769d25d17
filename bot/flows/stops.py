"""The Stop button, wherever the click lands.

A reply is written by the process that runs its turn, and only that process can end Claude's
stream; with several replicas the click may reach any of them. A click for a reply this process
isn't writing is broadcast (PostgreSQL `NOTIFY`, `bot.store.notices_channel`) and the process
that is writing it stops it. The owner check (only the workspace whose answer it is may stop it)
is made where the reply is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from bot.core.ownership import Owner
from bot.flows.thread_lanes import StopSignal

Publish = Callable[[dict[str, Any]], Awaitable[None]]


class Pressed(Enum):
    STOPPED = "stopped"
    NOT_YOURS = "not_yours"
    PASSED_ON = "passed_on"
    """Sent to the other replicas: the one writing the reply stops it."""
    ALREADY_DONE = "already_done"


class Stops:
    def __init__(self) -> None:
        self._signals: dict[str, StopSignal] = {}
        self.publish: Publish | None = None
        """Reaches every replica; None with one process (SQLite)."""

    def register(self, value: str, signal: StopSignal) -> None:
        self._signals[value] = signal

    def forget(self, value: str) -> None:
        self._signals.pop(value, None)

    def interrupt_all(self) -> None:
        for signal in list(self._signals.values()):
            signal.set("interrupted")

    async def press(self, value: str, clicked_by: Owner) -> Pressed:
        signal = self._signals.get(value)
        if signal is not None:
            return self._stop(signal, clicked_by)
        if self.publish is None:
            return Pressed.ALREADY_DONE
        await self.publish(
            {"value": value, "team_id": clicked_by.team_id, "enterprise_id": clicked_by.enterprise_id}
        )
        return Pressed.PASSED_ON

    def heard(self, notice: dict[str, Any]) -> None:
        """A click another replica passed on: stop the reply if it is written here."""
        signal = self._signals.get(str(notice.get("value")))
        if signal is not None:
            self._stop(signal, Owner(str(notice.get("team_id") or ""), notice.get("enterprise_id")))

    @staticmethod
    def _stop(signal: StopSignal, clicked_by: Owner) -> Pressed:
        if not signal.owner.allows(clicked_by.team_id, clicked_by.enterprise_id):
            return Pressed.NOT_YOURS
        signal.set("stopped")
        return Pressed.STOPPED

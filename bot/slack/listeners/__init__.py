"""Bolt listeners, one module per Slack surface; `register` wires them onto the app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from bot.slack.listeners import actions, assistant, commands, events, home, shortcuts, views


def register(app: AsyncApp, services: Services) -> None:
    # Before `events`, whose catch-all for unknown event types must come last: Bolt runs the first match.
    assistant.register(app, services)
    home.register(app, services)
    events.register(app, services)
    commands.register(app, services)
    actions.register(app, services)
    shortcuts.register(app, services)
    views.register(app, services)

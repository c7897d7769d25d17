"""Bolt listeners, one module per Slack surface, each a set of named handlers; `register` wires
them onto the app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.flows.shared import Services
from bot.listeners import actions, assistant, commands, events, home, shortcuts, views
from bot.listeners.context import provide


def register(app: AsyncApp, services: Services) -> None:
    app.use(provide(services))
    # Before `events`, whose catch-all for unknown event types must come last: Bolt runs the first match.
    assistant.register(app)
    home.register(app)
    events.register(app)
    commands.register(app)
    actions.register(app)
    shortcuts.register(app)
    views.register(app)

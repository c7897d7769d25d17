"""Bolt listeners, one module per Slack surface; `register` wires them onto the app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from bot.slack.listeners import actions, commands, events


def register(app: AsyncApp, services: Services) -> None:
    events.register(app, services)
    commands.register(app, services)
    actions.register(app, services)

"""What `/claude tools` and `/claude thinking` do once `bot.flows.claude_command` has checked who
may: read and change feature settings, and say so. The rules are in `bot.core.permissions`, the words in
`bot.core.feature_replies`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.core import feature_replies as replies
from bot.core.command_syntax import Command
from bot.core.features import WORKSPACE
from bot.flows.shared import Services
from bot.store import feature_settings


class Caller(Protocol):
    """Who ran the command, and where (`bot.flows.claude_command.Caller`)."""

    @property
    def team_id(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def channel_id(self) -> str: ...


Handler = Callable[[Services, AsyncWebClient, Command, Caller], Awaitable[str]]


def _scope(command: Command, caller: Caller) -> str:
    return WORKSPACE if command.workspace else caller.channel_id


async def _show(services: Services, _: AsyncWebClient, __: Command, caller: Caller) -> str:
    features = await feature_settings.for_channel(services.db, caller.team_id, caller.channel_id)
    return replies.features_shown(features, default_uses=services.settings.web_max_uses)


async def _set(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    on = command.text == "on"
    await feature_settings.choose(
        services.db,
        caller.team_id,
        _scope(command, caller),
        command.feature,
        set_by=caller.user_id,
        enabled=on,
    )
    return replies.feature_saved(command.feature, on=on, workspace=command.workspace)


async def _reset(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    removed = await feature_settings.choose(
        services.db,
        caller.team_id,
        _scope(command, caller),
        command.feature,
        set_by=caller.user_id,
        reset=True,
    )
    return replies.feature_removed(command.feature, workspace=command.workspace, removed=removed)


async def _limit(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    uses = command.tokens or services.settings.web_max_uses
    await feature_settings.choose(
        services.db, caller.team_id, WORKSPACE, command.feature, set_by=caller.user_id, max_uses=uses
    )
    return replies.limit_saved(command.feature, uses)


HANDLERS: dict[str, Handler] = {
    "feature_show": _show,
    "feature_set": _set,
    "feature_reset": _reset,
    "feature_limit": _limit,
}

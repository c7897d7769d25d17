"""What `/claude tools` and `/claude thinking` do once `bot.admin` has checked who may: read and
change feature settings, and say so. The rules are in `bot.permissions`, the words in
`bot.feature_replies`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot import feature_replies as replies
from bot.commands import Command
from bot.features import WORKSPACE
from bot.services import Services
from bot.store import features as stored


class Caller(Protocol):
    """Who ran the command, and where (`bot.admin.Caller`)."""

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
    features = await stored.for_channel(services.db, caller.team_id, caller.channel_id)
    return replies.features_shown(features, default_uses=services.settings.web_max_uses)


async def _set(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    on = command.text == "on"
    await stored.choose(
        services.db,
        caller.team_id,
        _scope(command, caller),
        command.feature,
        set_by=caller.user_id,
        enabled=on,
    )
    return replies.feature_saved(command.feature, on=on, workspace=command.workspace)


async def _reset(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    removed = await stored.choose(
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
    await stored.choose(
        services.db, caller.team_id, WORKSPACE, command.feature, set_by=caller.user_id, max_uses=uses
    )
    return replies.limit_saved(command.feature, uses)


HANDLERS: dict[str, Handler] = {
    "feature_show": _show,
    "feature_set": _set,
    "feature_reset": _reset,
    "feature_limit": _limit,
}

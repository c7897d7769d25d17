"""How a named handler reaches the process's services: the runtime puts them in every request's
Bolt context, so handlers can be plain module functions (as in Slack's samples) rather than
closures inside a `register` function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.context.async_context import AsyncBoltContext

from bot.flows.shared import Services

KEY = "services"


def provide(services: Services) -> Callable[..., Awaitable[None]]:
    async def put_services(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context[KEY] = services
        await next()

    return put_services


def services_of(context: AsyncBoltContext) -> Services:
    services: Services = context[KEY]
    return services

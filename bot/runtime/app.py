"""Builds the Bolt app and the process's shared services; wiring only."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from bot.claude.client import Claude
from bot.files import FileCache
from bot.flows.intake import author, follow_up
from bot.flows.shared import Services
from bot.flows.shared_lanes import SharedLanes
from bot.listeners import register
from bot.process.config import ConfigError, Settings
from bot.process.logs import protect_bolt_logger
from bot.runtime.housekeeping import housekeeping_forever
from bot.slack.client import BudgetedWebClient, budgeted, make_web_client
from bot.slack.encrypted_installations import installation_store, seal_stored_tokens
from bot.slack.identity import SingleWorkspace, TokenRefused
from bot.slack.installations import installation_authorize
from bot.slack.rate_limits import SlackRateLimits
from bot.slack.reply import NativeSupport
from bot.slack.scopes import BOT_SCOPES
from bot.slack.shared_limits import SharedCalls
from bot.slack.users import UserDirectory
from bot.store import Database, slack_calls
from bot.store.notices_channel import Broadcast

log = logging.getLogger(__name__)

BOLT_ENVIRONMENT = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


@dataclass
class Runtime:
    app: AsyncApp
    services: Services
    client: BudgetedWebClient
    """The process's own client: the bot token in single-workspace mode, none in OAuth mode."""


@asynccontextmanager
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Everything a running bot holds open, closed again in reverse order."""
    db = Database(settings.database_url)
    claude = Claude(settings)
    try:
        await db.upgrade()
        if settings.oauth:
            await seal_stored_tokens(settings, db)
        async with aiohttp.ClientSession() as session:
            token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
            rate_limits = SlackRateLimits(settings.rate_limits(), shared=shared_calls(db))
            client = make_web_client(token, settings.slack_api_url, session, rate_limits)
            workspace = SingleWorkspace(client) if token else None
            if workspace is not None:
                await _verify_token(workspace)
            services = Services(
                settings,
                db,
                claude,
                UserDirectory(settings.user_name_cache_seconds),
                rate_limits,
                NativeSupport(settings.slack_stream_mode),
                session,
                FileCache(settings.file_cache_bytes),
            )
            if db.dialect == "postgresql":
                services.lanes = SharedLanes(db, replica_name(), author=author, follow_up=follow_up)
            stop_clicks = await _pass_stop_clicks_between_replicas(services)
            housekeeping = asyncio.create_task(housekeeping_forever(db, settings))
            try:
                yield Runtime(build_app(settings, client, services, workspace), services, client)
            finally:
                housekeeping.cancel()
                await asyncio.wait({housekeeping})
                if stop_clicks is not None:
                    await stop_clicks.close()
    finally:
        await claude.close()
        await db.close()


def shared_calls(db: Database) -> SharedCalls | None:
    """On PostgreSQL, where replicas may share the app, Slack's limits are shared through it; SQLite
    serves one process, whose own budget is enough."""
    if db.dialect != "postgresql":
        return None
    return SharedCalls(functools.partial(slack_calls.take, db), replica_name())


def replica_name() -> str:
    """This process among the replicas: host, process and a nonce (a restarted process is new)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


async def _pass_stop_clicks_between_replicas(services: Services) -> Broadcast | None:
    """With several replicas a Stop click may land on one that isn't writing the reply."""
    if services.db.dialect != "postgresql":
        return None
    channel = Broadcast(services.db, "stop", services.stops.heard)
    await channel.start()
    services.stops.publish = channel.publish
    return channel


async def _verify_token(workspace: SingleWorkspace) -> None:
    try:
        await workspace.verify()
    except TokenRefused as refused:
        raise ConfigError(
            f"SLACK_BOT_TOKEN was refused by Slack ({refused.error}): it is wrong or was revoked; copy "
            "the Bot User OAuth Token (xoxb-…) again from your Slack app's OAuth & Permissions page."
        ) from None


def build_app(
    settings: Settings, client: BudgetedWebClient, services: Services, workspace: SingleWorkspace | None
) -> AsyncApp:
    """In single-workspace mode the requests are authorized from the start-up `auth.test`; in
    OAuth mode from the installation store. Either way every listener's `client` is budgeted."""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    template = client.for_workspace("", token=None)
    options: dict[str, Any] = (
        oauth_options(settings, client, services.db)
        if settings.oauth
        else {"authorize": _single_workspace_authorize(workspace)}
    )
    with _without_bolt_environment():
        app = AsyncApp(
            client=template,
            signing_secret=secret,
            request_verification_enabled=not settings.socket_mode,
            ignoring_self_events_enabled=True,
            before_authorize=_budget_every_call(client),
            **options,
        )
    protect_bolt_logger()

    async def warm_claude(next_: Callable[[], Awaitable[None]]) -> None:
        """The first Slack request of any kind starts loading the Claude SDK (see `Claude`)."""
        services.claude.warm()
        await next_()

    app.use(warm_claude)
    if settings.oauth:
        # Before the catch-all listener `register` adds last: Bolt runs the first that matches.
        app.event("tokens_revoked")(app.default_tokens_revoked_event_listener())
        app.event("app_uninstalled")(app.default_app_uninstalled_event_listener())
    register(app, services)
    return app


def _single_workspace_authorize(workspace: SingleWorkspace | None) -> Callable[[], Awaitable[Any]]:
    if workspace is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set and OAuth is not configured.")

    async def authorize() -> Any:
        return await workspace.authorize()

    return authorize


def _budget_every_call(client: BudgetedWebClient) -> Callable[..., Awaitable[None]]:
    """Bolt builds a plain client for each request; this swaps in a budgeted one before Bolt's
    authorization runs, so its calls and the listeners' share the workspace's budget."""

    async def swap(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        workspace = str(context.team_id or context.enterprise_id or "")
        context["client"] = budgeted(
            context.client,
            client.rate_limits,
            client.flights,
            workspace=workspace,
            token=context.client.token,
        )
        await next()

    return swap


@contextmanager
def _without_bolt_environment() -> Iterator[None]:
    """Bolt reads these variables from the environment by itself, on top of what it is given (and
    warns about the overlap, or starts an OAuth flow of its own). The bot's validated settings are
    its only configuration, so Bolt is built without them in sight."""
    hidden = {name: os.environ.pop(name) for name in BOLT_ENVIRONMENT if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


def oauth_options(settings: Settings, client: BudgetedWebClient, db: Database) -> dict[str, Any]:
    """`/slack/install` and `/slack/oauth_redirect`, with installations kept in our own database
    (slack_sdk's SQLAlchemy stores; their tables come with the migrations), and an authorize
    that refreshes rotating tokens once across replicas."""
    client_id = str(settings.slack_client_id)
    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else ""
    store = installation_store(settings, db)
    return {
        "oauth_settings": AsyncOAuthSettings(
            client_id=client_id,
            client_secret=secret,
            scopes=list(BOT_SCOPES),
            installation_store=store,
            state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=db.engine),
        ),
        "authorize": installation_authorize(
            client_id=client_id, client_secret=secret, client=client, store=store, db=db
        ),
    }

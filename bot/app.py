"""Builds the Bolt app and the process's shared services; wiring only."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.claude.client import Claude
from bot.config import Settings
from bot.files import FileCache
from bot.logs import protect_bolt_logger
from bot.services import Services
from bot.slack.client import make_web_client
from bot.slack.installations import installation_authorize
from bot.slack.listeners import register
from bot.slack.ratebudget import Budgets
from bot.slack.reply import NativeSupport
from bot.slack.scopes import BOT_SCOPES
from bot.slack.users import UserDirectory
from bot.store import Database, threads

log = logging.getLogger(__name__)

CLAIM_RETENTION = timedelta(days=1)


@dataclass
class Runtime:
    app: AsyncApp
    services: Services
    client: AsyncWebClient


@asynccontextmanager
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Everything a running bot holds open, closed again in reverse order."""
    db = Database(settings.database_url)
    await db.upgrade()
    claude = Claude(settings)
    async with aiohttp.ClientSession() as session:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        budgets = Budgets(settings.slack_rate_limits)
        client = make_web_client(token, settings.slack_api_url, session, budgets)
        services = Services(
            settings,
            db,
            claude,
            UserDirectory(settings.user_name_cache_seconds),
            budgets,
            NativeSupport(settings.slack_stream_mode),
            session,
            FileCache(settings.file_cache_bytes),
        )
        pruning = asyncio.create_task(prune_claims_forever(db))
        try:
            yield Runtime(build_app(settings, client, services), services, client)
        finally:
            pruning.cancel()
            await asyncio.wait({pruning})
            await claude.close()
            await db.close()


async def prune_claims_forever(db: Database) -> None:
    """Event claims only need to outlive Slack's retries (minutes); keep a day, prune hourly."""
    while True:
        try:
            removed = await threads.prune_claims(db, older_than=CLAIM_RETENTION)
        except SQLAlchemyError:
            log.exception("pruning event claims failed")
        else:
            if removed:
                log.info("pruned %d old event claims", removed)
        await asyncio.sleep(3600)


def build_app(settings: Settings, client: AsyncWebClient, services: Services) -> AsyncApp:
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = AsyncApp(
        client=client,
        signing_secret=secret,
        request_verification_enabled=not settings.socket_mode,
        ignoring_self_events_enabled=True,
        **(oauth_options(settings, client, services.db) if settings.oauth else {}),
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


def oauth_options(settings: Settings, client: AsyncWebClient, db: Database) -> dict[str, Any]:
    """`/slack/install` and `/slack/oauth_redirect`, with installations kept in our own database
    (slack_sdk's SQLAlchemy stores; their tables come with the migrations), and an authorize
    that refreshes rotating tokens once across replicas."""
    client_id = str(settings.slack_client_id)
    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else ""
    store = AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=db.engine)
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

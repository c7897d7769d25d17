"""Builds the Bolt app and the process's shared services; wiring only."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.claude.client import make_claude_client
from bot.config import Settings
from bot.files import FileCache
from bot.housekeeping import housekeeping_forever
from bot.logs import protect_bolt_logger
from bot.services import Services
from bot.slack.client import make_web_client
from bot.slack.encrypted_installations import installation_store, seal_stored_tokens
from bot.slack.installations import installation_authorize
from bot.slack.listeners import register
from bot.slack.ratebudget import Budgets
from bot.slack.reply import NativeSupport
from bot.slack.scopes import BOT_SCOPES
from bot.slack.users import UserDirectory
from bot.store import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    app: AsyncApp
    services: Services
    client: AsyncWebClient


@asynccontextmanager
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Everything a running bot holds open, closed again in reverse order."""
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        if settings.oauth:
            await seal_stored_tokens(settings, db)
    except BaseException:
        await db.close()
        raise
    claude = make_claude_client(settings)
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
        pruning = asyncio.create_task(housekeeping_forever(db, settings))
        try:
            yield Runtime(build_app(settings, client, services), services, client)
        finally:
            pruning.cancel()
            await asyncio.wait({pruning})
            await claude.close()
            await db.close()


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

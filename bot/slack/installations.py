"""Finding a workspace's token in OAuth mode, and refreshing it when Slack's token rotation is on.

Bolt's own authorize refreshes an expiring token wherever a request happens to land, so two
replicas handling events for one workspace at the same moment would both spend the same
single-use refresh token, and the loser's workspace would be locked out until reinstalled.
Here the refresh runs under a database lock, re-reads the installation once it holds the lock
(another replica may have refreshed meanwhile) and saves the new tokens before letting go.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from time import time

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.store import Database

log = logging.getLogger(__name__)


class LockedTokenRotator(AsyncTokenRotator):
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        client: AsyncWebClient,
        store: AsyncInstallationStore,
        db: Database,
    ) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret, client=client)
        self._store = store
        self._db = db

    async def perform_token_rotation(
        self, *, installation: Installation, minutes_before_expiration: int = 120
    ) -> Installation | None:
        if not _expiring(installation, minutes_before_expiration):
            return None
        workspace = f"{installation.enterprise_id or '-'}:{installation.team_id or '-'}"
        async with self._db.exclusive(f"slack-token-rotation:{workspace}"):
            latest = await self._store.async_find_installation(
                enterprise_id=installation.enterprise_id,
                team_id=installation.team_id,
                user_id=installation.user_id if installation.user_token else None,
                is_enterprise_install=installation.is_enterprise_install,
            )
            current = latest or installation
            if not _expiring(current, minutes_before_expiration):
                return current
            refreshed = await super().perform_token_rotation(
                installation=current, minutes_before_expiration=minutes_before_expiration
            )
            if refreshed is not None:
                await self._store.async_save(refreshed)
                log.info("refreshed the rotating Slack token", extra={"team_id": installation.team_id})
            return refreshed


def _expiring(installation: Installation, minutes: int) -> bool:
    horizon = time() + minutes * 60
    return any(
        expires_at is not None and expires_at <= horizon
        for expires_at in (installation.bot_token_expires_at, installation.user_token_expires_at)
    )


class AuthorizeCache(MutableMapping[str, AuthorizeResult]):
    """Bolt caches `auth.test` answers by token, so each rotation (every 12 hours) would add an
    entry and never drop the last. Here a workspace keeps one entry, its current token's, and the
    least recently used workspaces go beyond `max_workspaces`."""

    def __init__(self, max_workspaces: int = 10_000) -> None:
        self._max = max_workspaces
        self._by_token: OrderedDict[str, AuthorizeResult] = OrderedDict()
        self._token_of: dict[tuple[str | None, str | None], str] = {}

    def __getitem__(self, token: str) -> AuthorizeResult:
        result = self._by_token[token]
        self._by_token.move_to_end(token)
        return result

    def __setitem__(self, token: str, result: AuthorizeResult) -> None:
        workspace = (result.enterprise_id, result.team_id)
        previous = self._token_of.get(workspace)
        if previous is not None and previous != token:
            self._by_token.pop(previous, None)
        self._by_token[token] = result
        self._by_token.move_to_end(token)
        self._token_of[workspace] = token
        while len(self._by_token) > self._max:
            _, dropped = self._by_token.popitem(last=False)
            self._token_of.pop((dropped.enterprise_id, dropped.team_id), None)

    def __delitem__(self, token: str) -> None:
        result = self._by_token.pop(token)
        self._token_of.pop((result.enterprise_id, result.team_id), None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_token)

    def __len__(self) -> int:
        return len(self._by_token)


def installation_authorize(
    *,
    client_id: str,
    client_secret: str,
    client: AsyncWebClient,
    store: AsyncInstallationStore,
    db: Database,
) -> AsyncInstallationStoreAuthorize:
    """Bolt's installation-store authorize with two changes: the refresh above, sent through our
    client (Bolt's default rotator would call slack.com whatever `SLACK_API_URL` says), and the
    `auth.test` result cached, which saves a Slack round trip on every event (a revoked
    workspace's installation is deleted, so its token is never looked up again), one entry per
    workspace (`AuthorizeCache`)."""
    authorize = AsyncInstallationStoreAuthorize(
        logger=logging.getLogger("slack_bolt.AsyncApp"),
        installation_store=store,
        client_id=client_id,
        client_secret=client_secret,
        client=client,
        cache_enabled=True,
    )
    authorize.authorize_result_cache = AuthorizeCache()  # type: ignore[assignment]
    authorize.token_rotator = LockedTokenRotator(
        client_id=client_id, client_secret=client_secret, client=client, store=store, db=db
    )
    return authorize

"""slack_sdk's SQLAlchemy installation store with every token encrypted at rest.

Bolt and the token rotation see plain `Installation`s; the rows in `slack_installations` and
`slack_bots` hold only ciphertext. Rows written before encryption (or under an older key) are
re-encrypted with the newest key at start-up, in place, under a database lock; a row that changed
meanwhile (a token refreshed by another replica) is left alone, since its writer encrypted it.
"""

from __future__ import annotations

import copy
import logging
from typing import TypeVar

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import Table, and_, select, update

from bot.process.config import ConfigError, Settings
from bot.store import Database
from bot.store.token_cipher import TokenCipher, UndecryptableToken, is_encrypted

log = logging.getLogger(__name__)

TOKEN_COLUMNS = {
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}
"""What is secret in slack_sdk's tables (incoming webhooks are not requested by this app)."""

Record = TypeVar("Record", Installation, Bot)


class EncryptedInstallationStore(AsyncInstallationStore):
    def __init__(self, inner: AsyncSQLAlchemyInstallationStore, cipher: TokenCipher) -> None:
        self.inner = inner
        self.cipher = cipher

    @property
    def logger(self) -> logging.Logger:
        return self.inner.logger

    async def async_save(self, installation: Installation) -> None:
        # The inner store saves the bot row from this copy too (`to_bot()`), already encrypted.
        await self.inner.async_save(self._sealed(installation, TOKEN_COLUMNS["slack_installations"]))

    async def async_save_bot(self, bot: Bot) -> None:
        await self.inner.async_save_bot(self._sealed(bot, TOKEN_COLUMNS["slack_bots"]))

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        found = await self.inner.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return self._opened(found, TOKEN_COLUMNS["slack_bots"])

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = await self.inner.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(found, TOKEN_COLUMNS["slack_installations"])

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.inner.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await self.inner.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    def _sealed(self, record: Record, fields: tuple[str, ...]) -> Record:
        """A copy to store: the caller (Bolt's OAuth flow, the token rotation) goes on using its own."""
        sealed = copy.copy(record)
        for name in fields:
            value = getattr(record, name)
            if value:
                setattr(sealed, name, self.cipher.encrypt(value))
        return sealed

    def _opened(self, record: Record | None, fields: tuple[str, ...]) -> Record | None:
        if record is None:
            return None
        try:
            for name in fields:
                value = getattr(record, name)
                if value:
                    setattr(record, name, self.cipher.decrypt(value))
        except UndecryptableToken:
            log.error(
                "the stored Slack tokens of workspace %s can't be decrypted with TOKEN_ENCRYPTION_KEYS "
                "(was the key they were encrypted with removed?); treating it as not installed",
                record.team_id or record.enterprise_id,
            )
            return None
        return record


def installation_store(settings: Settings, db: Database) -> AsyncInstallationStore:
    """Where OAuth installs live: encrypted with `TOKEN_ENCRYPTION_KEYS`, or in clear only when
    `ALLOW_PLAINTEXT_TOKENS` says so."""
    settings.check_token_storage()
    inner = AsyncSQLAlchemyInstallationStore(client_id=str(settings.slack_client_id), engine=db.engine)
    keys = settings.token_keys
    return EncryptedInstallationStore(inner, TokenCipher(keys)) if keys else inner


async def seal_stored_tokens(settings: Settings, db: Database) -> int:
    """Encrypt, with the newest key, every token of this app's installs that isn't yet; the number
    of rows changed. Run at start-up; idempotent. Stops the bot (ConfigError) when some token can't
    be read with the keys given, or when tokens are encrypted and no key is given."""
    store = installation_store(settings, db)
    inner = store.inner if isinstance(store, EncryptedInstallationStore) else store
    assert isinstance(inner, AsyncSQLAlchemyInstallationStore)
    cipher = store.cipher if isinstance(store, EncryptedInstallationStore) else None
    changed = unreadable = 0
    async with db.exclusive("slack-token-encryption"):
        for table in (inner.installations, inner.bots):
            done, failed = await _seal_table(db, table, inner.client_id, cipher)
            changed, unreadable = changed + done, unreadable + failed
    if unreadable and cipher is None:
        raise ConfigError(
            f"TOKEN_ENCRYPTION_KEYS is not set, but the Slack tokens of {unreadable} stored installation "
            "rows are encrypted: set it to the key they were encrypted with."
        )
    if unreadable:
        raise ConfigError(
            f"TOKEN_ENCRYPTION_KEYS can't decrypt the Slack tokens of {unreadable} stored installation rows: "
            "add back the key they were encrypted with (after the new one: newest first, comma-separated)."
        )
    if changed:
        log.info("encrypted the Slack tokens of %d stored rows with the newest key", changed)
    return changed


async def _seal_table(
    db: Database, table: Table, client_id: str, cipher: TokenCipher | None
) -> tuple[int, int]:
    """(rows re-encrypted, rows whose tokens no key opens) in one of slack_sdk's tables."""
    columns = [table.c[name] for name in TOKEN_COLUMNS[table.name]]
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(table.c.id, *columns).where(table.c.client_id == client_id))).all()
    changed = unreadable = 0
    for row in rows:
        stored = {column.name: row._mapping[column] for column in columns}
        present = {name: value for name, value in stored.items() if value}
        if cipher is None:
            unreadable += any(is_encrypted(value) for value in present.values())
            continue
        if all(cipher.is_current(value) for value in present.values()):
            continue
        try:
            resealed = {name: cipher.reseal(value) for name, value in present.items()}
        except UndecryptableToken:
            unreadable += 1
            continue
        unchanged = and_(
            table.c.id == row.id, *(column.is_not_distinct_from(stored[column.name]) for column in columns)
        )
        async with db.engine.begin() as conn:
            result = await conn.execute(update(table).where(unchanged).values(**resealed))
        changed += result.rowcount or 0
    return changed, unreadable

"""OAuth tokens at rest: encrypted in `slack_installations` and `slack_bots`, existing plain rows
encrypted at start-up without breaking the install, keys rotated, and no start without a key."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.fakes.claude import FakeClaude
from bot.fakes.slack import FakeSlack
from bot.process.config import ConfigError
from bot.runtime.server import running
from bot.slack.encrypted_installations import TOKEN_COLUMNS, seal_stored_tokens
from bot.store import Database
from bot.store.token_cipher import TokenCipher
from tests.conftest import bot_settings, wait_until
from tests.e2e.test_core_loop import bot_replies
from tests.e2e.test_oauth import OAUTH, install
from tests.processes import CONFIG_VARS

BOTH = pytest.mark.parametrize("bot_database_url", ["sqlite", "postgresql"], indirect=True)
PLAIN = {**OAUTH, "token_encryption_keys": None, "allow_plaintext_tokens": True}


async def stored_rows(db: Database) -> list[dict[str, Any]]:
    """Every row of slack_sdk's two installation tables, as the database holds them."""
    rows: list[dict[str, Any]] = []
    async with db.engine.connect() as conn:
        for table in TOKEN_COLUMNS:
            result = await conn.execute(text(f"SELECT * FROM {table}"))
            rows += [{"table": table, **row} for row in result.mappings()]
    return rows


def tokens_in(rows: list[dict[str, Any]]) -> list[str]:
    return [str(row[name]) for row in rows for name in TOKEN_COLUMNS[row["table"]] if row[name]]


def assert_nothing_in_clear(rows: list[dict[str, Any]], slack: FakeSlack) -> None:
    assert rows, "nothing was installed"
    for row in rows:
        for column, value in row.items():
            assert "xox" not in str(value), f"{row['table']}.{column} holds a Slack token in clear"
    assert {"bot_token", "bot_refresh_token"} <= {name for row in rows for name in row if row[name]}
    assert all(token.startswith("gAAAAA") for token in tokens_in(rows)), "Fernet ciphertext expected"


async def answers_a_mention(slack: FakeSlack, claude: FakeClaude, events_url: str, words: str) -> None:
    claude.script(words)
    mention = await slack.user_says(events_url, "C1", "U1", f"<@UBOT> say {words}")

    def answered() -> bool:
        return any(m.get("text") == words for m in slack.thread("C1", mention["ts"]))

    await wait_until(answered, 15, f"the answer {words!r}")


@BOTH
async def test_stored_tokens_are_encrypted(make_harness, slack: FakeSlack) -> None:
    slack.token_rotation = True  # installs then carry a refresh token too
    harness = await make_harness(**OAUTH)
    assert (await install(f"http://127.0.0.1:{harness.bot.port}")).startswith("200")

    assert_nothing_in_clear(await stored_rows(harness.db), slack)

    harness.claude.script("read through the encrypted store")
    mention = await slack.user_says(harness.url, "C1", "U1", "<@UBOT> hello")
    await harness.wait_for_turns(1)
    assert bot_replies(harness, "C1", mention["ts"])[0]["text"] == "read through the encrypted store"


@BOTH
async def test_an_existing_install_still_works_after_the_migration(
    slack: FakeSlack, claude: FakeClaude, bot_database_url: str
) -> None:
    slack.token_rotation = True
    async with running(bot_settings(slack, claude, bot_database_url, **PLAIN)) as before:
        assert (await install(f"http://127.0.0.1:{before.port}")).startswith("200")
        plain = await stored_rows(before.runtime.services.db)
    assert all(token.startswith("xox") for token in tokens_in(plain)), "stored in clear before the upgrade"

    settings = bot_settings(slack, claude, bot_database_url, **OAUTH)
    async with running(settings) as after:
        db = after.runtime.services.db
        assert_nothing_in_clear(await stored_rows(db), slack)
        await answers_a_mention(slack, claude, after.events_url, "still installed")
        assert await seal_stored_tokens(settings, db) == 0, "a second run finds nothing to do"
    assert slack.refused_refreshes == 0


async def test_a_new_key_reencrypts_every_token_and_a_lost_key_stops_the_bot(
    slack: FakeSlack, claude: FakeClaude, bot_database_url: str
) -> None:
    slack.token_rotation = True
    old, new = OAUTH["token_encryption_keys"], Fernet.generate_key().decode()
    async with running(bot_settings(slack, claude, bot_database_url, **OAUTH)) as first:
        assert (await install(f"http://127.0.0.1:{first.port}")).startswith("200")

    newest_first = {**OAUTH, "token_encryption_keys": f"{new},{old}"}
    rotated = bot_settings(slack, claude, bot_database_url, **newest_first)
    async with running(rotated) as second:
        stored = tokens_in(await stored_rows(second.runtime.services.db))
        assert stored and all(TokenCipher([new]).is_current(token) for token in stored)
        await answers_a_mention(slack, claude, second.events_url, "under the new key")

    lost = bot_settings(slack, claude, bot_database_url, **OAUTH)  # the old key only
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEYS can't decrypt"):
        async with running(lost):
            pass
    unkeyed = bot_settings(slack, claude, bot_database_url, **PLAIN)
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEYS is not set, but"):
        async with running(unkeyed):
            pass


async def test_oauth_without_an_encryption_key_refuses_to_start(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in CONFIG_VARS}
    env.update(
        SLACK_CLIENT_ID="1111.2222",
        SLACK_CLIENT_SECRET="test-client-secret",
        SLACK_SIGNING_SECRET="secret",
        ANTHROPIC_API_KEY="sk-ant-test",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    message = err.decode()
    assert message.count("\n") == 1 and "Traceback" not in message
    assert "TOKEN_ENCRYPTION_KEYS is not set" in message and "ALLOW_PLAINTEXT_TOKENS=true" in message

"""Secrets stay out of the logs even when an operator turns every logger up to DEBUG."""

from __future__ import annotations

import asyncio
import base64
import signal
from pathlib import Path

import pytest

from bot.fakes.claude import FakeClaude
from bot.fakes.slack import FakeSlack
from tests.conftest import wait_until
from tests.e2e.test_oauth import OAUTH, install
from tests.processes import bot_env, bot_process, free_port

ANSWER = "an answer written at DEBUG"
QUESTION = "what is the launch code for project hummingbird"


@pytest.mark.parametrize("library_level", ["DEBUG", None])
async def test_a_debug_run_logs_no_token(
    slack: FakeSlack, claude: FakeClaude, bot_database_url: str, tmp_path: Path, library_level: str | None
) -> None:
    """A real `bot serve` at DEBUG (its libraries too, or left at their INFO): an OAuth install
    with token rotation (so a refresh token is issued and spent), then a turn. Its whole output
    holds no secret, and with the libraries left alone no message text either."""
    slack.token_rotation = True
    slack.token_lifetime = 60  # inside the refresh horizon: the first event refreshes the token
    port, log = free_port(), tmp_path / "bot.log"
    key = str(OAUTH["token_encryption_keys"])
    env = bot_env(
        slack,
        claude,
        bot_database_url,
        port,
        SLACK_CLIENT_ID=slack.client_id,
        SLACK_CLIENT_SECRET=slack.client_secret,
        TOKEN_ENCRYPTION_KEYS=key,
        LOG_LEVEL="DEBUG",
        LOG_FORMAT="json",
        **({"LIBRARY_LOG_LEVEL": library_level} if library_level else {}),
    )
    claude.script(ANSWER)
    async with bot_process(env, tmp_path, output=log) as process:
        assert (await install(f"http://127.0.0.1:{port}")).startswith("200")
        slack.token_lifetime = 43_200
        events = f"http://127.0.0.1:{port}/slack/events"
        mention = await slack.user_says(events, "C1", "U1", f"<@UBOT> {QUESTION}")

        def answered() -> bool:
            return any(m.get("text") == ANSWER for m in slack.thread("C1", mention["ts"]))

        await wait_until(answered, 20, "the answer")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    assert slack.refreshes == [slack.team_id], "the run spent a refresh token and got a new pair"

    output = log.read_text()
    assert '"logger": "bot.' in output, "the bot's own lines are there"
    if library_level:
        assert '"level": "DEBUG", "logger": "slack_sdk' in output and '"logger": "aiosqlite"' in output
    else:
        assert '"level": "DEBUG"' not in output, "libraries stay at INFO unless LIBRARY_LOG_LEVEL says"
        for text in (QUESTION, ANSWER):
            assert text not in output, "message text in the log of a bot at DEBUG"
    basic = base64.b64encode(f"{slack.client_id}:{slack.client_secret}".encode()).decode()
    secrets = {
        **{f"Slack token {token[:9]}…": token for token in slack._tokens},  # every bot token issued
        **{f"refresh token {token[:9]}…": token for token in slack._refresh_tokens},
        "signing secret": slack.signing_secret,
        "client secret": slack.client_secret,
        "client credentials (Basic)": basic,
        "Anthropic key": claude.api_key,
        "encryption key": key,
    }
    assert len(secrets) >= 9, "bot tokens and refresh tokens, before and after the refresh"
    for what, secret in secrets.items():
        assert secret not in output, f"the {what} is in the DEBUG log"

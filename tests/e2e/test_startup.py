"""Start-up: settings errors in one sentence, Socket Mode, health."""

from __future__ import annotations

import asyncio
import os
import sys

import aiohttp

from bot.fakes.claude import FakeClaude
from bot.fakes.slack import FakeSlack
from bot.runtime.server import running
from tests.conftest import bot_settings

CONFIG_VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "ANTHROPIC_API_KEY",
    "CLAUDE_MAX_TOKENS",
)


async def run_bot(tmp_path, **env: str) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        cwd=tmp_path,
        env={**clean, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode or 0, err.decode()


async def test_missing_token_stops_with_one_sentence(tmp_path) -> None:
    code, err = await run_bot(tmp_path)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "SLACK_BOT_TOKEN is not set" in err


async def test_malformed_setting_names_the_variable(tmp_path) -> None:
    code, err = await run_bot(tmp_path, SLACK_BOT_TOKEN="xoxb-1", CLAUDE_MAX_TOKENS="many")
    assert code == 2 and "Traceback" not in err
    assert "CLAUDE_MAX_TOKENS is not valid" in err


async def test_socket_mode_answers_a_mention(slack: FakeSlack, claude: FakeClaude, tmp_path) -> None:
    claude.script("over the socket")
    settings = bot_settings(
        slack, claude, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", slack_app_token=slack.app_token
    )
    async with running(settings) as bot:
        await slack.wait_for(slack.socket_connected)
        message = await slack.socket_user_says("C1", "U1", "<@UBOT> hello over Socket Mode")
        await slack.wait_for(lambda: slack.bot_messages("C1", message["ts"]))
        assert slack.bot_messages("C1", message["ts"])[0]["text"] == "over the socket"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{bot.port}/healthz") as response:
                assert response.status == 200
            async with http.post(f"http://127.0.0.1:{bot.port}/slack/events", data="{}") as response:
                assert response.status == 404, "Socket Mode serves no HTTP events endpoint"
            async with http.get(f"http://127.0.0.1:{bot.metrics_port}/readyz") as response:
                assert response.status == 200, "/readyz on the internal port in Socket Mode too"
                assert (await response.json())["checks"]["socket_mode"] is True

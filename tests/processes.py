"""The bot as its own process (`python -m bot serve`), for tests that need real process boundaries:
a signal mid-reply, two replicas on one database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from bot.fakes.claude import FakeClaude
from bot.fakes.slack import FakeSlack

CONFIG_VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "TOKEN_ENCRYPTION_KEYS",
    "ALLOW_PLAINTEXT_TOKENS",
    "DATABASE_URL",
    "LOG_LEVEL",
    "LIBRARY_LOG_LEVEL",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(
    slack: FakeSlack, claude: FakeClaude, database_url: str, port: int, **extra: str
) -> dict[str, str]:
    """The environment a deployment would set, pointed at the fakes; nothing inherited that could
    change the mode (a developer's own tokens in the shell, say)."""
    inherited = {key: value for key, value in os.environ.items() if key not in CONFIG_VARS}
    return {
        **inherited,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "ANTHROPIC_API_KEY": claude.api_key,
        "ANTHROPIC_BASE_URL": claude.base_url,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "METRICS_PORT": "0",
        "SLACK_UPDATE_INTERVAL": "0.05",
        **extra,
    }


async def wait_healthy(port: int, process: asyncio.subprocess.Process | None = None) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(400):
            if process is not None and process.returncode is not None:
                raise AssertionError(f"the bot on port {port} exited with {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise AssertionError(f"the bot on port {port} never became healthy")


@contextlib.asynccontextmanager
async def bot_process(
    env: dict[str, str], cwd: Path, output: Path | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A healthy `bot serve`, killed on the way out if the test didn't stop it; its stdout and
    stderr go to `output` when given."""
    with contextlib.ExitStack() as files:
        log = files.enter_context(output.open("wb")) if output is not None else None
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", env=env, cwd=cwd, stdout=log, stderr=log
        )
    try:
        await wait_healthy(int(env["PORT"]), process)
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

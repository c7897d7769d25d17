"""Starts the sandbox: the embedded workspace, the offline model when there is no API key, and
the real bot in HTTP mode between them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.fakes.settings import claude_settings, slack_settings
from bot.process.config import load_settings
from bot.runtime.sandbox.offline import offline_claude
from bot.runtime.sandbox.workspace import Workspace, sandbox_slack
from bot.runtime.server import RunningBot, running

SHUTDOWN_GRACE_SECONDS = 2.0
"""Ctrl-C on a sandbox should stop it now, not after production's half a minute."""


@dataclass
class Sandbox:
    workspace: Workspace
    bot: RunningBot


@contextlib.asynccontextmanager
async def sandbox(*, offline: bool, tokens_per_second: float) -> AsyncIterator[Sandbox]:
    """The bot's settings come from the environment as usual (database, model, prompt…); only
    where Slack is, and where Claude is when offline, are the sandbox's own."""
    async with contextlib.AsyncExitStack() as stack:
        slack = await stack.enter_async_context(sandbox_slack())
        overrides = {
            **slack_settings(slack),
            "host": "127.0.0.1",
            "port": 0,
            "metrics_port": 0,
            "shutdown_grace_seconds": SHUTDOWN_GRACE_SECONDS,
        }
        if offline:
            claude = await stack.enter_async_context(offline_claude(tokens_per_second))
            overrides.update(claude_settings(claude))
        bot = await stack.enter_async_context(running(load_settings(**overrides)))
        # Someone is about to type into the page: load the Claude SDK now (a served bot waits
        # for its first Slack request), so the first questions don't share the CPU with it.
        await bot.runtime.services.claude.client()
        yield Sandbox(Workspace(slack, bot.events_url), bot)

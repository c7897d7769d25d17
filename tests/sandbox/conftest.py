"""`bot sandbox` as a newcomer runs it: its own process, a clean environment, a fresh directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HANG_GUARD_SECONDS = 300
"""Only so a broken sandbox can't hang the suite; never what a test checks."""


@pytest.fixture
def sandbox_env(tmp_path: Path) -> dict[str, str]:
    """No Slack or Anthropic settings at all (a developer's own would change the mode), and the
    database in the test's directory."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "ANTHROPIC_", "CLAUDE_", "BOT_")) and key != "DATABASE_URL"
    }
    return {**clean, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}


def run_bot(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )


@pytest.fixture
def sandbox_url(tmp_path: Path, sandbox_env: dict[str, str]) -> Iterator[str]:
    """A running `bot sandbox` (offline model, slow enough to watch an answer grow); its URL is
    read from what it prints. Stopped with Ctrl-C, which must end it cleanly."""
    log = tmp_path / "sandbox.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "sandbox", "--no-browser", "--speed", "50"],
            cwd=tmp_path,
            env=sandbox_env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Sandbox workspace at http://127.0.0.1:"), f"{first!r}\n{log.read_text()}"
        yield first.split()[3]
        process.send_signal(signal.SIGINT)
        assert process.wait(HANG_GUARD_SECONDS) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

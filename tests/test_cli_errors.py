"""A bad setting stops every command with one sentence that names it, and exit code 2: the first
person to meet it is setting the bot up, not reading a traceback."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.conftest import POSTGRES_URL
from tests.sandbox.conftest import run_bot

COMMANDS = {
    "serve": ("serve",),
    "db upgrade": ("db", "upgrade"),
    "usage": ("usage",),
    "sandbox": ("sandbox", "--script", "chat.yaml", "--no-browser"),
}
SERVING = {
    # Enough for `bot serve` to get as far as its database; Slack is never reached.
    "SLACK_BOT_TOKEN": "xoxb-1-cli-test",
    "SLACK_SIGNING_SECRET": "cli-test-secret",
    "ANTHROPIC_API_KEY": "sk-ant-cli-test",
    "SLACK_API_URL": "http://127.0.0.1:9/api/",
    "HOST": "127.0.0.1",
    "PORT": "0",
}
UNREACHABLE = {
    "sqlite folder missing": (
        "sqlite+aiosqlite:///./no/such/folder/bot.db",
        "DATABASE_URL points into no/such/folder, which doesn't exist",
    ),
    "postgresql not listening": (
        "postgresql+asyncpg://postgres@127.0.0.1:1/test",
        "DATABASE_URL: no PostgreSQL answers at 127.0.0.1:1",
    ),
}
"""Met when a command first connects, which each command does in its own way: tried with each."""
MALFORMED = [
    ("usage", {"DATABASE_URL": "mysql://bot@db.example/bot"}, "DATABASE_URL uses mysql"),
    ("serve", {"LOG_LEVEL": "LOUD"}, "LOG_LEVEL is not valid: use one of DEBUG"),
    ("sandbox", {"SLACK_RATE_LIMITS": "{chat.update: 45"}, "SLACK_RATE_LIMITS is not valid JSON"),
    ("db upgrade", {"ASSISTANT_PROMPTS": "[oops"}, "ASSISTANT_PROMPTS is not valid JSON"),
]
"""Caught as settings are read, before any command starts: each tried with one command (the
interpreter's start-up makes every run a few seconds on a busy machine)."""


def clean_env(**settings: str) -> dict[str, str]:
    """Nothing of the developer's own set-up: it could hide the setting under test."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "ANTHROPIC_", "CLAUDE_", "BOT_", "LOG_", "ASSISTANT_"))
        and key != "DATABASE_URL"
    }
    return {**inherited, **SERVING, **settings}


def run(cwd: Path, command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (cwd / "chat.yaml").write_text('steps: ["@Claude hi"]\n')
    return run_bot(cwd, env, *COMMANDS[command])


def assert_one_sentence(done: subprocess.CompletedProcess[str], names: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("bot: ") and names in lines[0], lines[0]
    assert lines[0].endswith("."), "a sentence"


@pytest.mark.bad_input
@pytest.mark.parametrize(("command", "values", "names"), MALFORMED)
def test_a_malformed_setting_is_one_sentence_and_exit_2(
    tmp_path: Path, command: str, values: dict[str, str], names: str
) -> None:
    done = run(tmp_path, command, clean_env(**values))

    assert_one_sentence(done, names)
    assert not (tmp_path / "bot.db").exists()


@pytest.mark.bad_input
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("database", UNREACHABLE)
def test_a_database_out_of_reach_is_one_sentence_and_exit_2(
    tmp_path: Path, command: str, database: str
) -> None:
    url, names = UNREACHABLE[database]

    done = run(tmp_path, command, clean_env(DATABASE_URL=url))

    assert_one_sentence(done, names)


@pytest.mark.bad_input
@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_postgresql_database_is_one_sentence(tmp_path: Path, command: str) -> None:
    if POSTGRES_URL is None:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 (set BOT_TEST_POSTGRES_URL to require it)")
    missing = f"absent_{uuid.uuid4().hex[:8]}"
    url = make_url(POSTGRES_URL).set(database=missing).render_as_string(hide_password=False)

    done = run(tmp_path, command, clean_env(DATABASE_URL=url))

    assert_one_sentence(done, f"DATABASE_URL names the database {missing!r}, which doesn't exist")


def test_usage_in_an_empty_folder_creates_no_database(tmp_path: Path) -> None:
    env = clean_env()  # the default DATABASE_URL: ./bot.db

    done = run(tmp_path, "usage", env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "No usage recorded yet."
    assert not (tmp_path / "bot.db").exists()

"""/healthz, /readyz and /metrics on the running bot."""

from __future__ import annotations

import os

import aiohttp

from tests.conftest import Harness


async def get(harness: Harness, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{harness.bot.port}{path}") as r:
        return r.status, await r.text()


async def test_ready_when_database_and_slack_answer(harness: Harness) -> None:
    assert (await get(harness, "/healthz"))[0] == 200
    status, body = await get(harness, "/readyz")
    assert status == 200 and '"database": true' in body and '"slack_auth": true' in body


async def test_not_ready_when_the_database_is_down(harness: Harness) -> None:
    path = harness.settings.database_url.removeprefix("sqlite+aiosqlite:///")
    await harness.db.engine.dispose()
    os.remove(path)
    os.makedirs(path)  # a directory where the database file was: SQLite can't open it
    status, body = await get(harness, "/readyz")
    assert status == 503 and '"database": false' in body
    assert (await get(harness, "/healthz"))[0] == 200, "alive all the same"


def sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        named = line.startswith((name + "{", name + " "))
        if named and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_a_reply_and_its_tokens(harness: Harness) -> None:
    _, before = await get(harness, "/metrics")
    harness.claude.script("counted")
    await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> count me")
    [row] = await harness.wait_for_turns(1)
    _, after = await get(harness, "/metrics")
    assert (
        sample(after, "bot_replies_total", outcome="ok")
        == sample(before, "bot_replies_total", outcome="ok") + 1
    )
    tokens = dict(team_id="T0TEAM", model=row.model, kind="output")
    assert (
        sample(after, "bot_tokens_total", **tokens) - sample(before, "bot_tokens_total", **tokens)
        == row.output_tokens
    )
    assert sample(after, "bot_time_to_first_token_seconds_count") >= 1
    assert "bot_replies_in_flight" in after

"""/healthz on the public port; /readyz and /metrics on the internal one."""

from __future__ import annotations

import asyncio
import os
import time
from types import SimpleNamespace

import aiohttp
import pytest

from bot.runtime import health
from tests.conftest import Harness

INTERNAL = ("/readyz", "/metrics")


async def get(harness: Harness, path: str, *, public: bool = False) -> tuple[int, str]:
    """`/healthz` on the public port (`PORT`), everything else on the internal one (`METRICS_PORT`)."""
    port = harness.bot.port if public or path == "/healthz" else harness.bot.metrics_port
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as r:
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


async def test_metrics_is_not_served_on_the_public_port(harness: Harness) -> None:
    """/metrics names workspaces and /readyz spends a Slack call: neither is for the internet."""
    assert harness.bot.metrics_port != harness.bot.port
    for path in INTERNAL:
        status, _ = await get(harness, path, public=True)
        assert status == 404, f"{path} answers on the public port"
        assert (await get(harness, path))[0] == 200, f"{path} is missing from the internal port"
    assert (await get(harness, "/healthz", public=True))[0] == 200, "the load balancer's check stays public"


async def test_readyz_spends_one_auth_test_on_a_bad_token_however_often_it_is_asked(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def auth_tests() -> int:
        return sum(call.method == "auth.test" for call in harness.slack.calls)

    harness.slack.faults["auth.test"] = ["invalid_auth"] * 100
    before = auth_tests()
    answers = await asyncio.gather(*(get(harness, "/readyz") for _ in range(20)))
    assert all(status == 503 and '"slack_auth": false' in body for status, body in answers)
    assert auth_tests() - before == 1, "a failed auth.test is cached like a good one"

    # Once the failure goes stale it is asked again, and a recovered token makes the bot ready.
    harness.slack.faults["auth.test"] = []
    later = health.FAILED_AUTH_CHECK_SECONDS + 1
    monkeypatch.setattr(health, "time", SimpleNamespace(monotonic=lambda: time.monotonic() + later))
    status, body = await get(harness, "/readyz")
    assert status == 200 and '"slack_auth": true' in body
    assert auth_tests() - before == 2

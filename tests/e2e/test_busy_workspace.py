"""A busy workspace under Slack's limits: one budgeted path for every call, per-channel scopes,
budgets that recover, and `auth.test` once per token. Call counts, never timings."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest

from bot.fakes.claude import FakeClaude
from bot.fakes.slack import FakeSlack
from bot.process.config import ConfigError
from bot.runtime.server import running
from tests.conftest import bot_settings
from tests.e2e.test_core_loop import bot_replies

SCALE = 10
"""Slack's limits at a tenth of the window (6 s for a minute), so a burst that fills several
windows runs in seconds: the same arithmetic, faster."""
SCALED_TIERS = {method: max(1, calls // SCALE) for method, calls in FakeSlack.TIER_LIMITS.items()}
BOT_LIMITS = {
    "chat.postMessage": "1/1.2s",
    "chat.update": "4/6s",
    "chat.delete": "4/6s",
    "chat.startStream": "4/6s",
    "chat.appendStream": "9/6s",
    "chat.stopStream": "4/6s",
    "assistant.threads.setStatus": "50/6s",
    "auth.test": "9/6s",
    "conversations.replies": "4/6s",
    "users.info": "9/6s",
}


def people(slack: FakeSlack, count: int) -> list[str]:
    """As many people as mentions: a burst is many people, each within the per-person cap."""
    ids = [f"UP{i}" for i in range(count)]
    for user in ids:
        if user not in slack.users:
            slack.add_user(user, user.lower(), display_name=f"Person {user}")
    return ids


def scaled_limits(slack: FakeSlack) -> None:
    slack.rate_window = 60.0 / SCALE
    slack.rate_limits = dict(SCALED_TIERS)
    slack.channel_rate_limits = {"chat.postMessage": (1, 1.0)}


async def test_a_burst_in_one_channel_completes_every_answer_without_a_429(
    make_harness, slack: FakeSlack
) -> None:
    harness = await make_harness(slack_rate_limits=BOT_LIMITS, slack_update_interval=0.2)
    scaled_limits(slack)
    harness.claude.tokens_per_second = 200
    answers = [f"Answer {i}: " + "several words " * 12 for i in range(16)]
    harness.claude.script(*answers)
    users = people(slack, 16)
    mentions = await asyncio.gather(
        *(slack.user_says(harness.url, "C1", users[i], f"<@UBOT> question {i}") for i in range(16))
    )
    await harness.wait_for_turns(16, timeout=90)
    assert slack.rate_limited == 0, dict(slack.rate_limited_by_method)
    texts = sorted(bot_replies(harness, "C1", m["ts"])[0]["text"] for m in mentions)
    assert texts == sorted(answers), "every answer complete, none lost"


async def test_a_reply_that_finds_streams_and_edits_spoken_for_is_posted_whole(
    make_harness, slack: FakeSlack
) -> None:
    limits = {"chat.startStream": 1, "chat.stopStream": 1, "chat.update": 1, "chat.postMessage": 30}
    harness = await make_harness(slack_rate_limits=limits, slack_stop_button=False)
    harness.claude.tokens_per_second = 60
    answers = [f"Answer {i}: " + "words " * 30 for i in range(3)]
    harness.claude.script(*answers)
    mentions = [
        await slack.user_says(harness.url, f"C{i + 1}", "U1", f"<@UBOT> question {i}") for i in range(2)
    ]
    await slack.wait_for(
        lambda: all(bot_replies(harness, f"C{i + 1}", m["ts"]) for i, m in enumerate(mentions))
    )
    slack.add_channel("C3", "third")
    third = await slack.user_says(harness.url, "C3", "U1", "<@UBOT> question 2")
    await harness.wait_for_turns(3, timeout=30)
    texts = sorted(
        bot_replies(harness, c, m["ts"])[0]["text"]
        for c, m in zip(("C1", "C2", "C3"), [*mentions, third], strict=True)
    )
    assert texts == sorted(answers)
    third_writes = [
        c
        for c in slack.calls
        if c.params.get("channel") == "C3"
        and c.method in {"chat.postMessage", "chat.update", "chat.startStream", "chat.stopStream"}
    ]
    assert [c.method for c in third_writes] == ["chat.postMessage"], "one post, when Claude finished"
    assert any(s["status"] == "is writing…" for s in slack.statuses if s.get("channel_id") == "C3")


async def test_a_429_pauses_the_budget_and_it_recovers(make_harness, slack: FakeSlack) -> None:
    """Slack is stricter than the configured budget: the 429s slow the bot down, nothing is lost,
    and afterwards the budget is back where it was configured."""
    harness = await make_harness(slack_rate_limits={"chat.postMessage": "20/1s"}, slack_stream_mode="edit")
    slack.rate_window = 1.0
    slack.rate_limits = {"chat.postMessage": 2}
    harness.claude.tokens_per_second = 400
    answers = [f"Short answer {i}." for i in range(6)]
    harness.claude.script(*answers)
    mentions = await asyncio.gather(
        *(slack.user_says(harness.url, "C1", "U1", f"<@UBOT> question {i}") for i in range(6))
    )
    await harness.wait_for_turns(6, timeout=30)
    assert slack.rate_limited > 0, "the test needs Slack to refuse some calls"
    texts = sorted(bot_replies(harness, "C1", m["ts"])[0]["text"] for m in mentions)
    assert texts == sorted(answers)
    rate_limits = harness.bot.runtime.services.rate_limits
    scope = rate_limits.scope("chat.postMessage", "T0TEAM", {"channel": "C1"})
    await asyncio.sleep(1.5)
    assert rate_limits.headroom(scope) == 20, "back to the configured budget once the window passed"


async def test_concurrent_identical_reads_are_one_call(harness) -> None:
    client = harness.bot.runtime.client
    before = len(harness.slack.calls_to("users.info"))
    answers = await asyncio.gather(*(client.users_info(user="U2") for _ in range(20)))
    assert len(harness.slack.calls_to("users.info")) - before == 1
    assert {a["user"]["id"] for a in answers} == {"U2"}


async def test_auth_test_runs_once_per_token_however_many_events_arrive(
    make_harness, slack: FakeSlack
) -> None:
    harness = await make_harness()
    harness.claude.script(*(f"answer {i}" for i in range(20)))
    await asyncio.gather(
        *(slack.user_says(harness.url, "C1", f"U{1 + i % 3}", f"<@UBOT> question {i}") for i in range(20))
    )
    await harness.wait_for_turns(20, timeout=60)
    assert len(slack.calls_to("auth.test")) == 1, "once, at start-up"


async def test_a_refused_bot_token_stops_start_up_with_one_sentence(
    slack: FakeSlack, claude: FakeClaude, tmp_path
) -> None:
    settings = bot_settings(
        slack, claude, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", slack_bot_token="xoxb-revoked"
    )
    with pytest.raises(ConfigError) as refused:
        async with running(settings):
            pass
    message = str(refused.value)
    assert "SLACK_BOT_TOKEN" in message and "invalid_auth" in message and "\n" not in message


async def test_unreachable_slack_at_start_up_is_a_warning_and_the_first_event_asks_again(
    slack: FakeSlack, claude: FakeClaude, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    slack.faults = {"auth.test": [503, 503, 503, 503]}
    settings = bot_settings(slack, claude, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    claude.script("still here")
    with caplog.at_level(logging.WARNING):
        async with running(settings) as bot:
            assert any("starting anyway" in r.getMessage() for r in caplog.records)
            mention = await slack.user_says(bot.events_url, "C1", "U1", "<@UBOT> hello")
            await slack.wait_for(lambda: slack.bot_messages("C1", mention["ts"]))
    assert slack.bot_messages("C1", mention["ts"])[0]["text"] == "still here"


async def test_bolt_is_built_without_warnings_from_the_environment(
    slack: FakeSlack, claude: FakeClaude, tmp_path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client we give it wins; it mustn't see it."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", slack.signing_secret)
    settings = bot_settings(slack, claude, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    with caplog.at_level(logging.WARNING, logger="slack_bolt"):
        async with running(settings):
            pass
    assert not [r for r in caplog.records if r.name.startswith("slack_bolt")], [
        r.getMessage() for r in caplog.records
    ]
    assert os.environ["SLACK_BOT_TOKEN"] == slack.bot_token, "the environment is left as it was"

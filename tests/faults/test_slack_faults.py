"""Slack's side: redelivered events, busy threads, long threads, 429s and 5xx, shutdown."""

from __future__ import annotations

import asyncio
import signal

import pytest

from bot.fakes.claude import FakeClaude
from bot.fakes.slack import FakeSlack
from tests.conftest import Harness
from tests.e2e.test_core_loop import bot_replies, notices
from tests.processes import bot_env, bot_process, free_port

pytestmark = pytest.mark.fault


async def test_redelivered_event_is_answered_once(harness: Harness) -> None:
    harness.claude.script("once")
    message = harness.slack.post_message("C1", "U1", "<@UBOT> hi")
    event = {
        "type": "app_mention",
        "channel": "C1",
        "user": "U1",
        "text": message["text"],
        "ts": message["ts"],
    }
    await harness.slack.send_event(harness.url, event, event_id="Ev1")
    await harness.slack.send_event(harness.url, event, event_id="Ev1", retry_num=1)
    await harness.slack.send_event(harness.url, event, event_id="Ev1", retry_num=2)
    await harness.wait_for_turns(1)
    await harness.slack.user_says(harness.url, "D1", "U1", "flush")
    await harness.wait_for_turns(2)
    assert len(bot_replies(harness, "C1", message["ts"])) == 1
    assert len(harness.claude.message_requests()) == 2


@pytest.mark.parametrize("bot_database_url", ["sqlite", "postgresql"], indirect=True)
async def test_redelivery_to_another_process_on_the_same_database_is_answered_once(make_harness) -> None:
    first, second = await make_harness(), await make_harness()
    first.claude.script("only one of us answers", "flush")
    message = first.slack.post_message("C1", "U1", "<@UBOT> hi")
    event = {
        "type": "app_mention",
        "channel": "C1",
        "user": "U1",
        "text": message["text"],
        "ts": message["ts"],
    }
    await asyncio.gather(
        first.slack.send_event(first.url, event, event_id="Ev9"),
        first.slack.send_event(second.url, event, event_id="Ev9", retry_num=1),
    )
    await first.wait_for_turns(1)
    await first.slack.user_says(first.url, "D1", "U1", "flush")
    await first.wait_for_turns(2)
    assert len(bot_replies(first, "C1", message["ts"])) == 1
    assert len(first.claude.message_requests()) == 2


async def test_messages_arriving_mid_answer_wait_and_become_one_turn(harness: Harness) -> None:
    harness.claude.tokens_per_second = 40
    harness.claude.script("a slow first answer " * 4, "one answer to both")
    root = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> first")
    await harness.slack.wait_for(lambda: bot_replies(harness, "C1", root["ts"]))
    await harness.slack.user_says(harness.url, "C1", "U2", "also this", thread_ts=root["ts"])
    await harness.slack.user_says(harness.url, "C1", "U3", "and this", thread_ts=root["ts"])
    await harness.wait_for_turns(2)
    await asyncio.sleep(0.3)
    requests = harness.claude.message_requests()
    assert len(requests) == 2, "no parallel answer on stale history, one turn for both"
    last_turn = [b["text"] for b in requests[1]["messages"][-1]["content"]]
    assert last_turn == ["Bob: also this", "Carol: and this"]
    assert requests[1]["messages"][1]["content"][0]["text"] == ("a slow first answer " * 4).strip()


async def test_a_thousand_message_thread_still_answers(harness: Harness) -> None:
    root = harness.slack.post_message("C1", "U1", "<@UBOT> kick-off")
    for i in range(999):
        harness.slack.post_message("C1", f"U{1 + i % 3}", f"message {i}", thread_ts=root["ts"])
    harness.claude.script("read it all")
    await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> summary?", thread_ts=root["ts"])
    await harness.wait_for_turns(1, timeout=30)
    assert len(harness.slack.calls_to("conversations.replies")) == 2, "1,001 messages at 1,000 a page"
    [request] = harness.claude.message_requests()
    texts = [b["text"] for b in request["messages"][0]["content"]]
    assert len(texts) == 1001 and texts[-1] == "Alice: summary?"


async def test_a_thread_over_the_context_window_is_trimmed_and_says_so(make_harness) -> None:
    h = await make_harness(claude_context_window=5_000, claude_max_tokens=1_000, context_margin_tokens=0)
    root = h.slack.post_message("C1", "U1", "<@UBOT> the plan")
    for i in range(60):
        h.slack.post_message("C1", "U2", f"note {i} " + "words " * 60, thread_ts=root["ts"])
    h.claude.script("done")
    await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> and?", thread_ts=root["ts"])
    await h.wait_for_turns(1)
    [request] = h.claude.message_requests()
    texts = [b["text"] for b in request["messages"][0]["content"]]
    assert texts[0] == "Alice: the plan"
    assert texts[1].endswith("earlier messages omitted]")
    assert texts[-1] == "Alice: and?"
    [note] = notices(h, "C1", root["ts"])
    assert "earlier messages left out" in note["text"]


@pytest.mark.parametrize(
    "method",
    [
        "conversations.replies",
        "users.info",
        "chat.postMessage",
        "chat.update",
        "chat.startStream",
        "chat.appendStream",
        "chat.stopStream",
        "assistant.threads.setStatus",
    ],
)
@pytest.mark.parametrize("fault", [429, 500])
async def test_slack_429_and_5xx_on_each_method_are_retried(make_harness, method: str, fault: int) -> None:
    h = await make_harness(
        slack_stream_mode="edit" if method in {"chat.postMessage", "chat.update"} else "native"
    )
    h.claude.tokens_per_second = 300
    h.claude.script("survived " * 30)
    if fault == 429:
        h.slack.rate_limits = {method: 1}
        h.slack.rate_window = 1.0
        h.slack.post_message("C9", "U1", "warm-up") if method == "chat.postMessage" else None
    else:
        h.slack.faults = {method: [500]}
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> hi")
    [row] = await h.wait_for_turns(1, timeout=30)
    assert bot_replies(h, "C1", mention["ts"])[0]["text"] == "survived " * 30
    assert row.error_kind is None


async def test_unreadable_thread_posts_a_clear_note(harness: Harness) -> None:
    harness.slack.faults = {"conversations.replies": ["internal_error"]}
    root = harness.slack.post_message("C1", "U2", "the deploy failed")
    await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> why?", thread_ts=root["ts"])
    await harness.slack.wait_for(lambda: notices(harness, "C1", root["ts"]))
    [note] = notices(harness, "C1", root["ts"])
    assert "couldn't read this thread" in note["text"]
    assert harness.claude.requests == []


async def test_final_text_is_posted_anew_when_its_message_cannot_be_edited(make_harness) -> None:
    h = await make_harness(slack_stream_mode="edit")
    h.claude.tokens_per_second = 100
    h.claude.script("the whole answer " * 10)
    h.slack.faults = {"chat.update": ["cant_update_message"] * 50}
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> hi")
    await h.wait_for_turns(1)
    assert bot_replies(h, "C1", mention["ts"])[-1]["text"] == "the whole answer " * 10


async def test_sigterm_mid_stream_closes_the_reply_and_records_usage(
    slack: FakeSlack, claude: FakeClaude, tmp_path
) -> None:
    claude.tokens_per_second = 10
    claude.script("a long and slow answer " * 20)
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    port = free_port()
    env = bot_env(slack, claude, url, port, SLACK_BOT_TOKEN=slack.bot_token, SHUTDOWN_GRACE_SECONDS="0.5")
    async with bot_process(env, tmp_path) as process:
        mention = await slack.user_says(f"http://127.0.0.1:{port}/slack/events", "C1", "U1", "<@UBOT> go")
        await slack.wait_for(lambda: bot_replies_of(slack, mention["ts"]))
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    [note] = [m for m in slack.thread("C1", mention["ts"]) if "restarted" in (m.get("text") or "")]
    assert "Retry" in str(note["blocks"])
    text = bot_replies_of(slack, mention["ts"])[0]["text"]
    assert 0 < len(text) < len("a long and slow answer " * 20)
    import sqlite3

    rows = (
        sqlite3.connect(tmp_path / "bot.db")
        .execute("select output_tokens, error_kind from usage_records")
        .fetchall()
    )
    assert rows == [(rows[0][0], "stopped")] and rows[0][0] >= len(text) // 4


def bot_replies_of(slack: FakeSlack, thread_ts: str) -> list[dict]:
    return [
        m
        for m in slack.bot_messages("C1", thread_ts)
        if (m.get("metadata") or {}).get("event_type") != "claude_bot_notice"
    ]

"""Claude's faults at every point of a stream, and every stop reason."""

from __future__ import annotations

import json

import pytest

from bot.fakes.claude import Fault, Reply
from tests.conftest import Harness
from tests.e2e.test_core_loop import bot_replies, notices

pytestmark = pytest.mark.fault

PARTIAL = "The first part of a longer answer that keeps going"


def buttons(note: dict) -> list[str]:
    return [
        e["action_id"] for b in note.get("blocks") or [] for e in b.get("elements", []) if "action_id" in e
    ]


async def press(h: Harness, note: dict, thread_ts: str) -> None:
    [element] = [e for b in note["blocks"] for e in b.get("elements", []) if "action_id" in e]
    status, _ = await h.slack.block_action(
        h.url,
        user="U1",
        channel="C1",
        message_ts=note["ts"],
        action_id=element["action_id"],
        value=element["value"],
        thread_ts=thread_ts,
    )
    assert status == 200


@pytest.mark.parametrize(("status", "kind"), [(529, "overloaded"), (429, "rate_limited"), (500, "api_error")])
async def test_busy_before_the_first_token_is_retried_by_the_sdk(
    make_harness, status: int, kind: str
) -> None:
    h = await make_harness(claude_max_retries=2)
    h.claude.script(Reply("after retries", fault=Fault("status", status=status, retry_after=0), times=2))
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> hi")
    [row] = await h.wait_for_turns(1)
    assert bot_replies(h, "C1", mention["ts"])[0]["text"] == "after retries"
    assert len(h.claude.message_requests()) == 3
    assert row.error_kind is None and not notices(h, "C1", mention["ts"])


@pytest.mark.parametrize(("status", "kind"), [(529, "overloaded"), (429, "rate_limited")])
async def test_retries_exhausted_say_so_with_a_retry_button(make_harness, status: int, kind: str) -> None:
    h = await make_harness(claude_max_retries=1)
    h.claude.script(Reply("second try works", fault=Fault("status", status=status, retry_after=0), times=2))
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> hi")
    [row] = await h.wait_for_turns(1)
    assert row.error_kind == kind
    [note] = notices(h, "C1", mention["ts"])
    assert buttons(note) == ["retry_turn"]
    assert bot_replies(h, "C1", mention["ts"]) == []
    await press(h, note, mention["ts"])
    await h.wait_for_turns(2)
    assert bot_replies(h, "C1", mention["ts"])[0]["text"] == "second try works"
    assert notices(h, "C1", mention["ts"]) == [], "the pressed notice goes away"


@pytest.mark.parametrize("fault", ["error_event", "drop"])
@pytest.mark.parametrize("after", [0, 5])
async def test_stream_breaking_keeps_partial_text_and_offers_retry(
    harness: Harness, fault: str, after: int
) -> None:
    harness.claude.script(Reply(PARTIAL, fault=Fault(fault, after_deltas=after)))  # type: ignore[arg-type]
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> explain")
    [row] = await harness.wait_for_turns(1)
    replies = bot_replies(harness, "C1", mention["ts"])
    assert [r["text"] for r in replies] == ([PARTIAL[: after * 4]] if after else [])
    [note] = notices(harness, "C1", mention["ts"])
    assert buttons(note) == ["retry_turn"]
    assert ("incomplete" in note["text"]) == bool(after)
    assert row.error_kind in {"overloaded", "connection"}
    assert row.input_tokens + row.cache_creation_input_tokens > 0


async def test_a_stalled_stream_ends_at_the_idle_timeout(make_harness) -> None:
    h = await make_harness(claude_idle_timeout=0.5)
    h.claude.script(Reply(PARTIAL, fault=Fault("stall", after_deltas=3, stall_seconds=30)))
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> explain")
    [row] = await h.wait_for_turns(1)
    assert bot_replies(h, "C1", mention["ts"])[0]["text"] == PARTIAL[:12]
    [note] = notices(h, "C1", mention["ts"])
    assert "stopped sending" in note["text"] and buttons(note) == ["retry_turn"]
    assert row.error_kind == "stalled"


async def test_slow_first_token_shows_busy_status(make_harness) -> None:
    h = await make_harness(claude_busy_notice_seconds=0.2)
    h.claude.ttft = 0.8
    h.claude.script("eventually")
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> hi")
    await h.wait_for_turns(1)
    assert any("busy" in s["status"] for s in h.slack.statuses)
    assert bot_replies(h, "C1", mention["ts"])[0]["text"] == "eventually"


@pytest.mark.parametrize(("status", "words"), [(401, "API key"), (400, "bug or a setting")])
async def test_admin_problems_are_said_plainly_without_retry(
    make_harness, caplog: pytest.LogCaptureFixture, status: int, words: str
) -> None:
    h = await make_harness()
    h.claude.script(Reply("x", fault=Fault("status", status=status)))
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> hi")
    [row] = await h.wait_for_turns(1)
    [note] = notices(h, "C1", mention["ts"])
    assert words in note["text"] and buttons(note) == []
    assert row.request_id and row.request_id in caplog.text


async def test_max_tokens_offers_continue_as_a_new_user_turn(make_harness) -> None:
    h = await make_harness(claude_max_tokens=10)
    h.claude.script("word " * 50, "rest of it")
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> long please")
    await h.wait_for_turns(1)
    [note] = notices(h, "C1", mention["ts"])
    assert buttons(note) == ["continue_turn"]
    await press(h, note, mention["ts"])
    await h.wait_for_turns(2)
    follow_up = h.claude.message_requests()[1]["messages"]
    assert [m["role"] for m in follow_up] == ["user", "assistant", "user"]
    assert "continue" in follow_up[-1]["content"][-1]["text"].lower()
    assert bot_replies(h, "C1", mention["ts"])[-1]["text"] == "rest of it"


async def test_refusal_gets_a_polite_note_with_its_category(harness: Harness) -> None:
    harness.claude.script(
        Reply(" ", stop_reason="refusal", stop_details={"type": "refusal", "category": "cyber"})
    )
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> bad idea")
    [row] = await harness.wait_for_turns(1)
    assert row.stop_reason == "refusal"
    [note] = notices(harness, "C1", mention["ts"])
    assert "declined" in note["text"] and "cyber" in note["text"]
    assert len(harness.claude.message_requests()) == 1, "nothing is resent"


async def test_context_window_exceeded_is_trimmed_and_retried_once(make_harness) -> None:
    h = await make_harness(claude_context_window=12_000, claude_max_tokens=1_000, context_margin_tokens=0)
    root = h.slack.post_message("C1", "U1", "<@UBOT> the incident, from the start")
    for i in range(20):
        h.slack.post_message(
            "C1", "U2" if i % 2 else "U3", f"update {i}: " + "details " * 170, thread_ts=root["ts"]
        )
    h.slack.post_message("C1", "U1", "so what now?", thread_ts=root["ts"])
    h.claude.script(Reply(" ", stop_reason="model_context_window_exceeded"), "fits now")
    await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> summarise", thread_ts=root["ts"])
    row1, row2 = await h.wait_for_turns(2)
    assert len(h.slack.calls_to("conversations.replies")) == 1, "the retry reuses the thread it read"
    assert row1.stop_reason == "model_context_window_exceeded" and row2.stop_reason == "end_turn"
    first, second = h.claude.message_requests()
    assert len(json.dumps(second)) < len(json.dumps(first)) * 0.75
    assert "earlier messages omitted" in json.dumps(second["messages"][0])
    assert bot_replies(h, "C1", root["ts"])[-1]["text"] == "fits now"

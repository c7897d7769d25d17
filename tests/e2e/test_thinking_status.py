"""The "is thinking…" status of a new question goes out before its claim is written, once per
question: not again from the turn, not for the mention's `message` twin, not for a redelivery."""

from __future__ import annotations

from bot.slack.reply import THINKING_STATUS
from tests.conftest import Harness


def thinking(h: Harness, channel: str, thread_ts: str) -> int:
    return sum(
        1
        for call in h.slack.calls_to("assistant.threads.setStatus")
        if call.params.get("channel_id") == channel
        and call.params.get("thread_ts") == thread_ts
        and call.params.get("status") == THINKING_STATUS
    )


async def test_a_new_question_shows_thinking_once_and_a_redelivery_not_at_all(harness: Harness) -> None:
    h = harness
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> hello")  # app_mention and message
    direct = await h.slack.user_says(h.url, "D1", "U1", "hello in private")
    await h.wait_for_turns(2)
    assert thinking(h, "C1", mention["ts"]) == 1
    assert thinking(h, "D1", direct["ts"]) == 1

    event = {
        "type": "app_mention",
        "channel": "C1",
        "user": "U1",
        "text": mention["text"],
        "ts": mention["ts"],
    }
    await h.slack.send_event(h.url, event, event_id="EvLate", retry_num=1)
    await h.slack.user_says(h.url, "D1", "U1", "flush")
    await h.wait_for_turns(3)
    assert thinking(h, "C1", mention["ts"]) == 1, "a redelivery of an answered question shows nothing"
    assert len(h.claude.message_requests()) == 3


async def test_a_reply_in_a_thread_shows_thinking_from_its_turn(harness: Harness) -> None:
    h = harness
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> hello")
    await h.wait_for_turns(1)
    await h.slack.user_says(h.url, "C1", "U1", "and a follow-up", thread_ts=mention["ts"])
    await h.wait_for_turns(2)
    assert thinking(h, "C1", mention["ts"]) == 2, "one per turn"

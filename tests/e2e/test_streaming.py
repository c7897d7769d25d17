"""Native streaming, edit mode, the auto fallback, the Stop button and a burst under Slack's limits."""

from __future__ import annotations

import asyncio

import pytest

from bot.fakes.slack import FakeSlack
from tests.conftest import Harness
from tests.e2e.test_core_loop import bot_replies, notices

LONG = "".join(f"Sentence number {i} of a long answer. " for i in range(120))


async def test_auto_falls_back_to_edits_when_slack_refuses_streams_and_remembers(harness: Harness) -> None:
    harness.slack.stream_mode = "unsupported"
    harness.claude.script("first answer", "second answer")
    first = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> one")
    await harness.wait_for_turns(1)
    second = await harness.slack.user_says(harness.url, "C2", "U1", "<@UBOT> two")
    await harness.wait_for_turns(2)
    assert bot_replies(harness, "C1", first["ts"])[0]["text"] == "first answer"
    assert bot_replies(harness, "C2", second["ts"])[0]["text"] == "second answer"
    assert len(harness.slack.calls_to("chat.startStream")) == 1, "the refusal is remembered for the workspace"


async def test_stream_closed_by_slack_mid_reply_continues_as_edits_without_loss(harness: Harness) -> None:
    harness.claude.tokens_per_second = 400
    harness.claude.script(LONG)
    harness.slack.stream_lifetime = 0.3
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> go long")
    await harness.wait_for_turns(1)
    [reply] = bot_replies(harness, "C1", mention["ts"])
    assert reply["text"] == LONG, "no character lost or repeated"
    assert harness.slack.calls_to("chat.update"), "the rest arrived by editing the streamed message"
    assert not notices(harness, "C1", mention["ts"])


@pytest.mark.parametrize("mode", ["native", "edit"])
async def test_stop_button_keeps_text_notes_it_and_records_tokens(make_harness, mode: str) -> None:
    harness = await make_harness(slack_stream_mode=mode)
    harness.claude.tokens_per_second = 20
    harness.claude.script(LONG)
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> talk")

    def stop_button() -> tuple[str, str] | None:
        for message in harness.slack.thread("C1", mention["ts"]):
            for block in message.get("blocks") or []:
                for element in block.get("elements", []):
                    if element.get("action_id") == "stop_reply" and bot_replies(harness, "C1", mention["ts"]):
                        return message["ts"], element["value"]
        return None

    message_ts, value = await harness.slack.wait_for(stop_button)
    await asyncio.sleep(0.3)
    status, _ = await harness.slack.block_action(
        harness.url,
        user="U2",
        channel="C1",
        message_ts=message_ts,
        action_id="stop_reply",
        value=value,
        thread_ts=mention["ts"],
    )
    assert status == 200
    [row] = await harness.wait_for_turns(1)
    [reply] = bot_replies(harness, "C1", mention["ts"])
    assert 0 < len(reply["text"]) < len(LONG)
    assert LONG.startswith(reply["text"])
    [note] = notices(harness, "C1", mention["ts"])
    assert "Stopped" in note["text"]
    assert row.output_tokens >= len(reply["text"]) // 4
    assert stop_button() is None, "no Stop button is left behind"


@pytest.mark.parametrize("mode", ["native", "edit"])
async def test_burst_of_30_replies_in_one_workspace_gets_no_429(
    make_harness, slack: FakeSlack, mode: str
) -> None:
    slack.enforce_published_limits()
    # U1 stands in for thirty people: no cap on answers per person here.
    harness = await make_harness(slack_stream_mode=mode, slack_update_interval=0.2, max_replies_per_user=30)
    harness.claude.tokens_per_second = 100
    answers = [f"Answer {i}: " + "words and more words " * 20 for i in range(30)]
    harness.claude.script(*answers)
    for i in range(30):
        slack.add_channel(f"CB{i}", f"burst-{i}")
    mentions = await asyncio.gather(
        *(slack.user_says(harness.url, f"CB{i}", "U1", f"<@UBOT> question {i}") for i in range(30))
    )
    await harness.wait_for_turns(30, timeout=60)
    assert slack.rate_limited == 0
    texts = sorted(bot_replies(harness, f"CB{i}", m["ts"])[0]["text"] for i, m in enumerate(mentions))
    assert texts == sorted(answers)


async def test_auto_mode_writes_a_burst_through_both_streams_and_edits_when_streams_run_short(
    make_harness, slack: FakeSlack
) -> None:
    """Streams and edits have separate Slack limits: replies past the streams' room use edits
    rather than queueing a minute for a stream."""
    limits = {"chat.startStream": 4, "chat.stopStream": 4, "chat.postMessage": 30, "chat.update": 30}
    harness = await make_harness(
        slack_stream_mode="auto", slack_rate_limits=limits, slack_stop_button=False, max_replies_per_user=8
    )
    harness.claude.tokens_per_second = 40
    answers = [f"Answer {i}: " + "words " * 30 for i in range(8)]
    harness.claude.script(*answers)
    mentions = await asyncio.gather(
        *(slack.user_says(harness.url, "C1", "U1", f"<@UBOT> question {i}") for i in range(8))
    )
    await harness.wait_for_turns(8, timeout=30)
    assert len(slack.calls_to("chat.startStream")) == 4
    assert len([c for c in slack.calls_to("chat.postMessage") if "thread_ts" in c.params]) == 4
    texts = sorted(bot_replies(harness, "C1", m["ts"])[0]["text"] for m in mentions)
    assert texts == sorted(answers)
    assert slack.rate_limited == 0

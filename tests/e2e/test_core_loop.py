"""The core loop end to end: real Bolt, slack_sdk and anthropic clients against the fakes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys

import pytest

from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.fakes.claude import Fault, Reply
from bot.store import prompts
from tests.conftest import Harness

ANSWER = (
    "Here is what that error means.\n\n"
    "1. **The connection was refused**: nothing listens on that port.\n"
    "2. Check the service with `systemctl status app`.\n\n"
    "```bash\nsudo systemctl restart app\n```\n"
)


def bot_replies(h: Harness, channel: str, thread_ts: str) -> list[dict]:
    """The bot's answers in a thread, notices left out."""
    return [
        m
        for m in h.slack.thread(channel, thread_ts)
        if m.get("bot_id") == "BBOT" and (m.get("metadata") or {}).get("event_type") != NOTICE_EVENT_TYPE
    ]


def notices(h: Harness, channel: str, thread_ts: str) -> list[dict]:
    return [
        m
        for m in h.slack.thread(channel, thread_ts)
        if (m.get("metadata") or {}).get("event_type") == NOTICE_EVENT_TYPE
    ]


@pytest.mark.parametrize("mode", ["native", "edit"])
async def test_mention_gets_a_streamed_answer_in_its_thread(make_harness, mode: str) -> None:
    harness = await make_harness(slack_stream_mode=mode)
    harness.claude.tokens_per_second = 200
    harness.claude.script(ANSWER)
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> what does this error mean?")
    [row] = await harness.wait_for_turns(1)

    [reply] = bot_replies(harness, "C1", mention["ts"])
    assert reply["thread_ts"] == mention["ts"]
    assert reply["text"] == ANSWER
    if mode == "native":
        [start] = harness.slack.calls_to("chat.startStream")
        assert start.params["markdown_text"], "the answer is rendered by Slack from Markdown"
        assert len(harness.slack.calls_to("chat.appendStream")) >= 1, "the reply grows in place"
        first_write = start
    else:
        first_write = next(c for c in harness.slack.calls_to("chat.postMessage") if c.params.get("thread_ts"))
        blocks = harness.slack.param(first_write, "blocks")
        assert blocks[0]["type"] == "markdown", "the answer is rendered by Slack from Markdown"
        assert len(harness.slack.edits("C1", reply["ts"])) >= 2, "the reply grows in place"
    status = harness.slack.calls_to("assistant.threads.setStatus")
    assert status and status[0].time <= first_write.time, "thinking shows before the first text"
    [request] = harness.claude.message_requests()
    assert request["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Alice: what does this error mean?"}]}
    ]
    assert request["cache_control"] == {"type": "ephemeral"}
    assert row.stop_reason == "end_turn"


async def test_mention_is_answered_once_although_slack_sends_two_events(harness: Harness) -> None:
    harness.claude.script("one answer")
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> hi")
    await harness.wait_for_turns(1)
    await harness.slack.user_says(harness.url, "D1", "U1", "later, in a DM")
    await harness.wait_for_turns(2)
    assert len(harness.claude.message_requests()) == 2
    assert len(bot_replies(harness, "C1", mention["ts"])) == 1


async def test_thread_reply_without_mention_continues_with_whole_thread(harness: Harness) -> None:
    harness.claude.script("4.", "6.")
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> what is 2+2?")
    await harness.wait_for_turns(1)
    await harness.slack.user_says(harness.url, "C1", "U2", "and 3+3?", thread_ts=mention["ts"])
    await harness.wait_for_turns(2)

    second = harness.claude.message_requests()[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[1]["content"][0]["text"] == "4."
    assert second[2]["content"][0]["text"] == "Bob: and 3+3?"
    assert [r["text"] for r in bot_replies(harness, "C1", mention["ts"])] == ["4.", "6."]


async def test_dm_is_answered_in_its_thread_and_continues_there(harness: Harness) -> None:
    harness.claude.script("Hi Alice!", "Sure.")
    first = await harness.slack.user_says(harness.url, "D1", "U1", "hello")
    await harness.wait_for_turns(1)
    [reply] = bot_replies(harness, "D1", first["ts"])
    assert reply["thread_ts"] == first["ts"]
    await harness.slack.user_says(harness.url, "D1", "U1", "can you help?", thread_ts=first["ts"])
    await harness.wait_for_turns(2)
    assert [m["role"] for m in harness.claude.message_requests()[1]["messages"]] == [
        "user",
        "assistant",
        "user",
    ]


async def test_several_people_are_told_apart_and_mentions_read_as_names(harness: Harness) -> None:
    harness.claude.script("noted")
    root = harness.slack.post_message("C1", "U2", "the deploy failed again")
    harness.slack.post_message("C1", "U3", "I saw it too", thread_ts=root["ts"])
    await harness.slack.user_says(
        harness.url, "C1", "U1", "<@UBOT> what should <@U3> check?", thread_ts=root["ts"]
    )
    await harness.wait_for_turns(1)
    [request] = harness.claude.message_requests()
    texts = [block["text"] for block in request["messages"][0]["content"]]
    assert texts == [
        "Bob: the deploy failed again",
        "Carol: I saw it too",
        "Alice: what should @Carol check?",
    ]


async def test_channel_prompt_set_shown_reset_and_isolated(harness: Harness) -> None:
    harness.claude.script("a", "b", "c")
    status, body = await harness.slack.slash_command(
        harness.url, "prompt You answer as a terse SRE.", user="U2", channel="C1"
    )
    assert status == 200
    assert "terse SRE" in body and "Done" in body

    await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> disk full?")
    await harness.slack.user_says(harness.url, "C2", "U1", "<@UBOT> disk full?")
    await harness.wait_for_turns(2)
    requests = harness.claude.message_requests()
    assert sum("terse SRE" in r["system"] for r in requests) == 1, "only C1 uses the prompt"
    stored = await prompts.get(harness.db, "T0TEAM", "C1")
    assert stored is not None and stored.set_by == "U2" and stored.set_at is not None

    _, shown = await harness.slack.slash_command(harness.url, "prompt show", user="U1", channel="C1")
    assert "terse SRE" in shown and "<@U2>" in shown
    _, reset = await harness.slack.slash_command(harness.url, "prompt reset", user="U1", channel="C1")
    assert "removed" in reset
    await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> again?")
    await harness.wait_for_turns(3)
    assert "terse SRE" not in harness.claude.message_requests()[2]["system"]
    _, help_text = await harness.slack.slash_command(harness.url, "help", user="U1", channel="C1")
    assert "/claude prompt" in help_text
    _, unknown = await harness.slack.slash_command(harness.url, "frobnicate", user="U1", channel="C1")
    assert unknown == help_text


async def test_ledger_row_matches_what_claude_reported(harness: Harness) -> None:
    harness.claude.script("first answer " * 30, "second answer")
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> " + "long question " * 60)
    await harness.wait_for_turns(1)
    await harness.slack.user_says(harness.url, "C1", "U1", "follow-up", thread_ts=mention["ts"])
    first, second = await harness.wait_for_turns(2)

    assert (first.team_id, first.channel_id, first.thread_ts, first.user_id) == (
        "T0TEAM",
        "C1",
        mention["ts"],
        "U1",
    )
    assert first.model == harness.settings.claude_model
    assert first.output_tokens == len("first answer " * 30) // 4 + (len("first answer " * 30) % 4 > 0)
    assert first.cache_creation_input_tokens > 0
    assert second.cache_read_input_tokens >= first.cache_creation_input_tokens, "turn 2 reads turn 1's prefix"
    assert first.request_id and first.request_id.startswith("req_")
    assert first.ttft_ms is not None and first.duration_ms >= first.ttft_ms
    assert first.error_kind is None

    [usage] = json.loads(await run_cli(harness, "usage", "--json"))
    assert usage["team_id"] == "T0TEAM" and usage["requests"] == 2
    assert usage["output_tokens"] == first.output_tokens + second.output_tokens
    assert usage["cache_read_input_tokens"] == second.cache_read_input_tokens
    table = await run_cli(harness, "usage")
    assert "T0TEAM" in table and "cache read" in table


async def run_cli(harness: Harness, *args: str) -> str:
    """`bot …` as a user runs it: a separate process reading the same database."""
    env = {**os.environ, "DATABASE_URL": harness.settings.database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    return out.decode()


async def test_channel_chatter_costs_no_slack_call(harness: Harness) -> None:
    harness.claude.script("warm", "dm")
    await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> warm up")
    await harness.wait_for_turns(1)
    before = len(harness.slack.calls)
    await harness.slack.user_says(harness.url, "C1", "U2", "lunch anyone?")
    other = harness.slack.post_message("C1", "U2", "a thread without the bot")
    await harness.slack.user_says(harness.url, "C1", "U3", "sure", thread_ts=other["ts"])
    await harness.slack.user_says(harness.url, "D1", "U1", "ping")
    await harness.wait_for_turns(2)
    touched = [c for c in harness.slack.calls[before:] if c.params.get("channel") == "C1"]
    assert touched == [], [c.method for c in touched]
    assert len(harness.claude.message_requests()) == 2


async def test_own_messages_are_ignored(harness: Harness) -> None:
    harness.claude.script("only once")
    dm = await harness.slack.user_says(harness.url, "D1", "U1", "hi")
    await harness.wait_for_turns(1)
    [reply] = bot_replies(harness, "D1", dm["ts"])
    status, _ = await harness.slack.send_event(
        harness.url,
        {
            "type": "message",
            "channel": "D1",
            "channel_type": "im",
            "user": "UBOT",
            "bot_id": "BBOT",
            "text": reply["text"],
            "ts": reply["ts"],
            "thread_ts": dm["ts"],
        },
    )
    assert status == 200
    await harness.slack.user_says(harness.url, "D1", "U1", "next")
    await harness.wait_for_turns(2)
    assert len(harness.claude.message_requests()) == 2


async def test_forged_signature_is_refused_and_nothing_posted(harness: Harness) -> None:
    before = len(harness.slack.calls)
    event = {"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT> hi", "ts": "99.000001"}
    status, _ = await harness.slack.send_event(harness.url, event, bad_signature=True)
    assert status == 401
    assert harness.slack.calls[before:] == []
    assert harness.claude.requests == []


async def test_long_answer_continues_in_new_messages_split_at_boundaries(make_harness) -> None:
    harness = await make_harness(slack_message_chars=1000)
    paragraphs = [f"Paragraph {i}: " + "lorem ipsum dolor " * 12 for i in range(12)]
    code = "```python\n" + "\n".join(f"print({i})" for i in range(150)) + "\n```"
    answer = "\n\n".join(paragraphs) + "\n\n" + code + "\n\nDone."
    harness.claude.script(answer)
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> write a lot")
    await harness.wait_for_turns(1)
    replies = bot_replies(harness, "C1", mention["ts"])
    assert len(replies) >= 3
    assert all(len(r["text"]) <= 1000 for r in replies)
    assert all(r["text"].count("```") % 2 == 0 for r in replies), "no message leaves a code block open"
    joined = "".join(r["text"] for r in replies)
    for paragraph in paragraphs:
        assert paragraph in joined
    assert joined.rstrip().endswith("Done.")


async def test_max_tokens_ends_with_a_visible_cut_note(make_harness) -> None:
    harness = await make_harness(claude_max_tokens=20)
    harness.claude.script("word " * 100)
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> ramble")
    [row] = await harness.wait_for_turns(1)
    assert row.stop_reason == "max_tokens"
    [note] = notices(harness, "C1", mention["ts"])
    assert "cut off" in note["text"]
    assert bot_replies(harness, "C1", mention["ts"])[0]["text"] == ("word " * 100)[:80]


async def test_history_leaves_the_bots_notices_out(make_harness) -> None:
    harness = await make_harness(claude_max_tokens=20)
    harness.claude.script("word " * 100, "fine")
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> ramble")
    await harness.wait_for_turns(1)
    await harness.slack.user_says(harness.url, "C1", "U1", "go on", thread_ts=mention["ts"])
    await harness.wait_for_turns(2)
    texts = json.dumps(harness.claude.message_requests()[1]["messages"])
    assert "cut off" not in texts


@pytest.mark.parametrize("bot_database_url", ["postgresql"], indirect=True)
async def test_core_loop_on_postgresql(harness: Harness) -> None:
    harness.claude.script("pg answer")
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> on postgres?")
    [row] = await harness.wait_for_turns(1)
    assert row.output_tokens > 0
    assert bot_replies(harness, "C1", mention["ts"])[0]["text"] == "pg answer"
    assert harness.db.dialect == "postgresql"


async def test_failed_stream_keeps_partial_text_notes_it_and_records_tokens(harness: Harness) -> None:
    harness.claude.script(
        Reply("partial answer that goes on and on", fault=Fault("error_event", after_deltas=4))
    )
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> try")
    [row] = await harness.wait_for_turns(1)
    assert bot_replies(harness, "C1", mention["ts"])[0]["text"] == "partial answer that goes on and on"[:16]
    [note] = notices(harness, "C1", mention["ts"])
    assert "overloaded" in note["text"] and "incomplete" in note["text"]
    assert row.error_kind == "overloaded"
    assert row.input_tokens + row.cache_creation_input_tokens > 0 and row.request_id


async def test_thread_text_is_never_logged_on_a_forged_request(make_harness, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    harness = await make_harness()
    event = {
        "type": "app_mention",
        "channel": "C1",
        "user": "U1",
        "text": "<@UBOT> secret plans",
        "ts": "9.1",
    }
    await harness.slack.send_event(harness.url, event, bad_signature=True)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not [m for m in logged if "secret plans" in m]
    assert any("invalid Slack signature" in m for m in logged)

"""Strange things people (and Slack) send: each gets a sensible answer or a quiet, correct no."""

from __future__ import annotations

import time

import aiohttp
import pytest

from tests.conftest import Harness
from tests.e2e.test_core_loop import bot_replies

pytestmark = pytest.mark.bad_input


async def answered_with(harness: Harness, text: str, channel: str = "C1") -> list[dict]:
    harness.claude.script("ok")
    mention = await harness.slack.user_says(harness.url, channel, "U1", text)
    await harness.wait_for_turns(1)
    assert bot_replies(harness, channel, mention["ts"])[0]["text"] == "ok"
    [request] = harness.claude.message_requests()
    return request["messages"]


async def test_empty_mention(harness: Harness) -> None:
    messages = await answered_with(harness, "<@UBOT>")
    assert messages[0]["content"][0]["text"] == "Alice: (no text)"


async def test_emoji_only(harness: Harness) -> None:
    messages = await answered_with(harness, "<@UBOT> :wave: :tada:")
    assert messages[0]["content"][0]["text"] == "Alice: :wave: :tada:"


async def test_forty_thousand_characters(harness: Harness) -> None:
    long = "lorem ipsum " * 3_334
    messages = await answered_with(harness, "<@UBOT> " + long)
    assert messages[0]["content"][0]["text"] == "Alice: " + long.strip()


async def test_broadcast_user_and_channel_mentions_read_as_text(harness: Harness) -> None:
    messages = await answered_with(harness, "<@UBOT> <!here> <!channel> ask <@U2> in <#C2|random>")
    assert messages[0]["content"][0]["text"] == "Alice: @here @channel ask @Bob in #random"


async def test_rtl_and_zero_width_text_pass_through(harness: Harness) -> None:
    text = "שלום עולם \u200b\u200fمرحبا\u200d"
    messages = await answered_with(harness, "<@UBOT> " + text)
    assert messages[0]["content"][0]["text"] == "Alice: " + text


async def no_answer(harness: Harness, event: dict, **kwargs: object) -> None:
    """The event is acknowledged (no 404, so Slack doesn't count a failure) and costs nothing."""
    before = len(harness.slack.calls)
    status, _ = await harness.slack.send_event(harness.url, event, **kwargs)  # type: ignore[arg-type]
    assert status == 200
    harness.claude.script("flush")
    await harness.slack.user_says(harness.url, "D1", "U1", "flush")
    await harness.wait_for_turns(1)
    assert len(harness.claude.message_requests()) == 1
    assert not [c for c in harness.slack.calls[before:] if c.params.get("channel") == "C1"]


async def test_other_bots_are_ignored(harness: Harness) -> None:
    await no_answer(
        harness,
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B9",
            "channel": "C1",
            "channel_type": "channel",
            "text": "<@UBOT> beep",
            "ts": "5.1",
        },
    )


async def test_edited_messages_are_ignored(harness: Harness) -> None:
    await no_answer(
        harness,
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C1",
            "channel_type": "channel",
            "ts": "5.2",
            "message": {"type": "message", "user": "U1", "text": "<@UBOT> edited", "ts": "5.0"},
        },
    )


async def test_deleted_messages_are_ignored(harness: Harness) -> None:
    await no_answer(
        harness,
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": "C1",
            "channel_type": "channel",
            "ts": "5.3",
            "deleted_ts": "5.0",
        },
    )


async def test_unknown_event_types_are_acknowledged(harness: Harness) -> None:
    await no_answer(
        harness,
        {
            "type": "reaction_added",
            "user": "U1",
            "reaction": "eyes",
            "item": {"type": "message", "channel": "C1", "ts": "5.0"},
            "event_ts": "5.4",
        },
    )


async def test_malformed_json_is_refused_and_nothing_happens(harness: Harness) -> None:
    before = len(harness.slack.calls)
    status, _ = await harness.slack.send_event(
        harness.url, {}, raw_body=b'{"type": "event_callback", "event": {'
    )
    assert status in {400, 401}
    assert harness.slack.calls[before:] == [] and harness.claude.requests == []


async def test_stale_timestamp_is_refused(harness: Harness) -> None:
    event = {"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT> old", "ts": "5.5"}
    status, _ = await harness.slack.send_event(harness.url, event, timestamp=int(time.time()) - 600)
    assert status == 401
    assert harness.claude.requests == []


async def test_forged_signature_is_refused(harness: Harness) -> None:
    event = {"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT> forged", "ts": "5.6"}
    status, _ = await harness.slack.send_event(harness.url, event, bad_signature=True)
    assert status == 401
    assert harness.claude.requests == []


async def test_ten_thousand_character_prompt_is_refused_clearly(harness: Harness) -> None:
    status, body = await harness.slack.slash_command(
        harness.url, "prompt " + "be terse. " * 1_000, channel="C1"
    )
    assert status == 200
    assert "9,999 characters" in body and "limit is 8,000" in body
    from bot.store import prompts

    assert await prompts.get(harness.db, "T0TEAM", "C1") is None


async def test_get_on_the_events_url_is_not_a_crash(harness: Harness) -> None:
    async with aiohttp.ClientSession() as http, http.get(harness.url) as response:
        assert response.status in {404, 405}

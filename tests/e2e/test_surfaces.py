"""Slack's own surfaces end to end: the AI app pane, the App Home tab and 👍/👎 under answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from bot.core.home_view import ADMINS_SEE_MORE
from bot.core.token_budget import format_tokens
from bot.fakes.claude import Fault, Reply
from bot.flows.vote_replies import CHANGED, THANKS_UP
from bot.process.config import DEFAULT_ASSISTANT_PROMPTS
from bot.store import prompts, workspace_settings
from bot.store.models import Feedback
from tests.conftest import Harness
from tests.e2e.test_core_loop import bot_replies, notices

QUESTION = "How should we name the new staging cluster so nobody confuses it with production?"
LONG = "".join(f"Paragraph {i}: " + "words that keep the answer going " * 4 + "\n\n" for i in range(12))


def greeting(h: Harness, channel: str, thread_ts: str) -> dict | None:
    for message in h.slack.thread(channel, thread_ts):
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if payload.get("kind") == "greeting":
            return message
    return None


def all_text(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def feedback_values(message: dict) -> list[str]:
    return [
        element[key]["value"]
        for block in message.get("blocks") or []
        if block["type"] == "context_actions"
        for element in block["elements"]
        for key in ("positive_button", "negative_button")
    ]


async def test_pane_greets_suggests_prompts_and_titles_the_first_question(harness: Harness) -> None:
    root = await harness.slack.start_assistant_thread(harness.url, "U1", context_channel="C1")
    hello = await harness.slack.wait_for(lambda: greeting(harness, "D1", root["ts"]))
    assert hello["text"] == harness.settings.assistant_greeting
    # The prompts follow the greeting in a call of their own.
    await harness.slack.wait_for(lambda: harness.slack.suggested_prompts)
    [suggested] = harness.slack.suggested_prompts
    assert (suggested["channel_id"], suggested["thread_ts"]) == ("D1", root["ts"])
    assert suggested["prompts"] == [prompt.model_dump() for prompt in DEFAULT_ASSISTANT_PROMPTS]

    harness.claude.script("Call it staging-blue.", "Or staging-green.")
    await harness.slack.user_says(harness.url, "D1", "U1", QUESTION, thread_ts=root["ts"])
    await harness.wait_for_turns(1)
    [title] = harness.slack.titles
    assert (title["channel_id"], title["thread_ts"]) == ("D1", root["ts"])
    assert title["title"] == "How should we name the new staging cluster so nobody…"
    [request] = harness.claude.message_requests()
    assert request["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": f"Alice: {QUESTION}"}]}
    ]

    await harness.slack.user_says(harness.url, "D1", "U1", "Anything shorter?", thread_ts=root["ts"])
    await harness.wait_for_turns(2)
    assert len(harness.slack.titles) == 1, "only the first question names the thread"
    second = harness.claude.message_requests()[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"], "the greeting is not a turn"
    assert [r["text"] for r in bot_replies(harness, "D1", root["ts"])] == [
        "Call it staging-blue.",
        "Or staging-green.",
    ]


async def test_pane_uses_the_prompt_of_the_channel_beside_it_on_any_replica(
    make_harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    read_settings = workspace_settings.for_turn

    async def counted(db: Any, team_id: str, channel_id: str) -> Any:
        reads.append(channel_id)
        return await read_settings(db, team_id, channel_id)

    monkeypatch.setattr(workspace_settings, "for_turn", counted)
    harness = await make_harness()
    for channel, prompt in (("C1", "Answer in French."), ("C2", "Answer in haiku.")):
        await prompts.put(
            harness.db, team_id="T0TEAM", channel_id=channel, prompt=prompt, set_by="U2", enterprise_id=None
        )
    harness.claude.script("Bonjour.", "Five, seven, five.")
    root = await harness.slack.start_assistant_thread(harness.url, "U1", context_channel="C1")
    await harness.slack.wait_for(lambda: greeting(harness, "D1", root["ts"]))
    await harness.slack.user_says(harness.url, "D1", "U1", "hello", thread_ts=root["ts"])
    await harness.wait_for_turns(1)
    first = harness.claude.message_requests()[0]["system"]
    assert "Answer in French." in first and "haiku" not in first
    assert reads == ["C1"], "a pane turn loads the settings of the channel beside it, once"

    await harness.slack.change_assistant_context(
        harness.url, "U1", thread_ts=root["ts"], context_channel="C2"
    )

    def moved() -> bool:
        message = greeting(harness, "D1", root["ts"]) or {}
        return message["metadata"]["event_payload"].get("context_channel_id") == "C2"

    await harness.slack.wait_for(moved)
    other_replica = await make_harness()
    await harness.slack.user_says(other_replica.url, "D1", "U1", "and again", thread_ts=root["ts"])
    await harness.wait_for_turns(2)
    second = harness.claude.message_requests()[1]["system"]
    assert "Answer in haiku." in second and "French" not in second


async def test_dm_without_the_pane_keeps_its_own_settings_and_gets_no_title(harness: Harness) -> None:
    await prompts.put(
        harness.db,
        team_id="T0TEAM",
        channel_id="C1",
        prompt="Answer in French.",
        set_by="U2",
        enterprise_id=None,
    )
    harness.claude.script("Hi.")
    await harness.slack.user_says(harness.url, "D1", "U1", "hello")
    await harness.wait_for_turns(1)
    assert "French" not in harness.claude.message_requests()[0]["system"]
    assert harness.slack.titles == []


@pytest.mark.parametrize("mode", ["native", "edit"])
async def test_finished_answer_carries_feedback_and_a_press_is_recorded(make_harness, mode: str) -> None:
    harness = await make_harness(slack_stream_mode=mode, slack_message_chars=600)
    harness.claude.tokens_per_second = 2000
    harness.claude.script(LONG)
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> write a lot")
    [row] = await harness.wait_for_turns(1)
    replies = bot_replies(harness, "C1", mention["ts"])
    assert len(replies) >= 2, "the answer was split over several messages"
    first, last = replies[0], replies[-1]
    assert row.reply_ts == first["ts"]
    assert feedback_values(last) == [f"+1 {first['ts']}", f"-1 {first['ts']}"]
    assert all(not feedback_values(m) for m in replies[:-1]), "only the end of the answer asks"
    closing = "chat.stopStream" if mode == "native" else "chat.update"
    final = harness.slack.calls_to(closing, "chat.postMessage")[-1]
    if final.method == "chat.postMessage":
        assert harness.slack.param(final, "text") == last["text"], "the last part was posted finished"
    else:
        assert final.params["ts"] == last["ts"]
    sent = harness.slack.param(final, "blocks")
    assert any(block["type"] == "context_actions" for block in sent), "the buttons ride on the final write"

    status, _ = await harness.slack.press_feedback(
        harness.url, user="U2", channel="C1", message_ts=last["ts"], positive=True
    )
    assert status == 200
    await harness.slack.wait_for(lambda: [e for e in harness.slack.ephemeral if e.get("user") == "U2"])
    await harness.slack.press_feedback(
        harness.url, user="U2", channel="C1", message_ts=last["ts"], positive=False
    )
    await harness.slack.wait_for(lambda: len(harness.slack.ephemeral) == 2)
    assert [e["text"] for e in harness.slack.ephemeral] == [THANKS_UP, CHANGED.format(emoji="👎")]
    assert all(e["response_type"] == "ephemeral" for e in harness.slack.ephemeral)
    async with harness.db.session() as session:
        votes = list((await session.execute(select(Feedback))).scalars())
    assert [(v.usage_record_id, v.user_id, v.rating) for v in votes] == [(row.id, "U2", -1)]


async def test_notices_carry_no_feedback_but_a_partial_answer_does(harness: Harness) -> None:
    harness.claude.script(
        Reply(LONG, fault=Fault("error_event", after_deltas=5)),
        Reply("never shown", fault=Fault("status", status=529), times=1),
    )
    partial = await harness.slack.user_says(harness.url, "C2", "U1", "<@UBOT> two")
    await harness.wait_for_turns(1)
    failed = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> one")
    await harness.wait_for_turns(2)
    [failure_note] = notices(harness, "C1", failed["ts"])
    assert not feedback_values(failure_note) and not bot_replies(harness, "C1", failed["ts"])
    [answer] = bot_replies(harness, "C2", partial["ts"])
    [partial_note] = notices(harness, "C2", partial["ts"])
    assert feedback_values(answer) == [f"+1 {answer['ts']}", f"-1 {answer['ts']}"], (
        "what was read can be rated"
    )
    assert not feedback_values(partial_note)


async def test_app_home_shows_admins_the_workspace_figures_and_members_how_to(harness: Harness) -> None:
    harness.slack.add_user("UA", "ada", display_name="Ada", is_admin=True)
    harness.claude.script("First answer.", "Second answer, a little longer than the first.")
    one = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> one")
    await harness.wait_for_turns(1)
    await harness.slack.user_says(harness.url, "C2", "U2", "<@UBOT> two, with more words in it please")
    rows = await harness.wait_for_turns(2)
    [answer] = bot_replies(harness, "C1", one["ts"])
    await harness.slack.press_feedback(
        harness.url, user="U3", channel="C1", message_ts=answer["ts"], positive=True
    )
    await harness.slack.wait_for(lambda: harness.slack.ephemeral)

    await harness.slack.open_app_home(harness.url, "UA")
    admin_view = await harness.slack.wait_for(lambda: harness.slack.views.get("UA"))
    text = all_text(admin_view)

    def total(row) -> int:
        return (
            row.input_tokens
            + row.output_tokens
            + row.cache_creation_input_tokens
            + row.cache_read_input_tokens
        )

    assert f"*{format_tokens(sum(total(r) for r in rows))} tokens* in 2 Claude calls" in text
    by_channel = sorted(((total(r), r.channel_id, r.user_id) for r in rows), reverse=True)
    assert f"1. <#{by_channel[0][1]}>: {format_tokens(by_channel[0][0])}" in text
    assert f"2. <#{by_channel[1][1]}>: {format_tokens(by_channel[1][0])}" in text
    assert f"1. <@{by_channel[0][2]}>: {format_tokens(by_channel[0][0])}" in text
    assert "👍 1  ·  👎 0  (100% positive)" in text
    assert "No monthly budget is set" in text
    assert len(admin_view["blocks"]) <= 100

    await harness.slack.open_app_home(harness.url, "U1")
    member_view = await harness.slack.wait_for(lambda: harness.slack.views.get("U1"))
    assert ADMINS_SEE_MORE in all_text(member_view)
    assert "This workspace" not in all_text(member_view) and "<#C1>" not in all_text(member_view)
    await harness.slack.open_app_home(harness.url, "U2", tab="messages")
    assert "U2" not in harness.slack.views, "the Messages tab is not the Home tab"

"""The sandbox's workspace shows what Slack would: Slackbot's answers to commands Slack itself
refuses, no empty notes, notes beside the message they answer and in time order, a pressed 👍, and
channel names and dates as Slack renders them. In-process, against the real bot and offline model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.runtime.sandbox.run import Sandbox, sandbox
from bot.runtime.sandbox.workspace import DM, GENERAL, ME, RANDOM, SLACKBOT, ts_order


@pytest.fixture
async def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    async with sandbox(offline=True, tokens_per_second=5000) as running:
        yield running


def notes(box: Sandbox) -> list[dict[str, Any]]:
    return list(box.workspace.snapshot()["ephemeral"])


async def test_slack_answers_a_command_no_app_declares_and_the_bot_never_hears_of_it(box: Sandbox) -> None:
    answer = await box.workspace.command(GENERAL, "/nope do something")

    assert answer["from"] == SLACKBOT
    assert answer["text"].startswith("`/nope` is not a valid command.")
    assert [d for d in box.workspace.slack.deliveries if d.kind == "command"] == []
    assert [(n["from"], n["text"]) for n in notes(box)] == [(SLACKBOT, answer["text"])]


async def test_an_apps_command_in_a_thread_is_refused_by_slack_in_that_thread(box: Sandbox) -> None:
    root = await box.workspace.say(GENERAL, "a thread")

    answer = await box.workspace.command(GENERAL, "/claude help", thread_ts=root["ts"])

    assert answer["text"] == "`/claude` is not supported in threads. Sorry!"
    assert notes(box)[0]["thread_ts"] == root["ts"]
    assert [d for d in box.workspace.slack.deliveries if d.kind == "command"] == []


async def test_a_command_that_opens_a_window_leaves_no_empty_note(box: Sandbox) -> None:
    await box.workspace.command(GENERAL, "/claude prompt")

    assert box.workspace.modal is not None
    assert notes(box) == []


async def test_a_feedback_press_looks_pressed_and_is_acknowledged_in_the_thread_after_the_answer(
    box: Sandbox,
) -> None:
    slack = box.workspace.slack
    question = await box.workspace.say(GENERAL, "@Claude hello")
    await box.workspace.command(GENERAL, "/claude help")  # a note in the channel, earlier than the press

    def rated_answer() -> dict[str, Any] | None:
        for message in slack.bot_messages(GENERAL, question["ts"]):
            for block in message.get("blocks") or []:
                if block["type"] == "context_actions":
                    return {"message": message, "block": block, "buttons": block["elements"][0]}
        return None

    found = await slack.wait_for(rated_answer, timeout=60)
    await slack.wait_for(lambda: not box.bot.runtime.services.lanes.running)
    buttons = found["buttons"]
    await box.workspace.click(
        GENERAL,
        found["message"]["ts"],
        buttons["action_id"],
        value=buttons["negative_button"]["value"],
        block_id=found["block"].get("block_id", ""),
        element_type="feedback_buttons",
    )
    await slack.wait_for(lambda: len(notes(box)) == 2)

    snapshot = box.workspace.snapshot()
    shown = {m["ts"]: m for m in snapshot["messages"][GENERAL]}
    assert shown[found["message"]["ts"]]["pressed"] == "negative_button"
    help_note, thanks = snapshot["ephemeral"]
    assert help_note["thread_ts"] is None, "a command's answer stays in the channel"
    assert thanks["thread_ts"] == question["ts"], "the acknowledgement sits in the answer's thread"
    assert thanks["from"] == slack.bot_user_id and "👎" in thanks["text"]
    assert ts_order(question["ts"]) < ts_order(help_note["ts"]) < ts_order(thanks["ts"])
    assert ts_order(found["message"]["ts"]) < ts_order(thanks["ts"])


def test_channel_mentions_and_dates_read_as_slack_shows_them(box: Sandbox) -> None:
    readable = box.workspace.readable(
        "in <#C0GENERAL> and <#C0RANDOM|old-name>, set <!date^1700000000^{date_short}|2023-11-14 22:13 UTC>"
    )

    assert readable == "in #general and #random, set 2023-11-14 22:13 UTC"
    assert box.workspace.snapshot()["names"][GENERAL] == "general"
    assert box.workspace.snapshot()["names"][ME] == "You"


def dm_answers(box: Sandbox) -> list[str]:
    slack = box.workspace.slack
    return [m["text"] for m in slack.bot_messages(DM) if m.get("thread_ts") not in (None, m["ts"])]


async def test_the_message_menu_shortcuts_copy_link_and_summarize_work(box: Sandbox) -> None:
    """Every shortcut the page's menu offers reaches the bot; a copied link is one the bot reads;
    `/claude summarize` answers in the DM."""
    workspace = box.workspace
    assert [s["name"] for s in workspace.snapshot()["shortcuts"]] == [
        "Ask Claude about this",
        "Summarize thread",
        "Translate",
    ]
    root = await workspace.say(RANDOM, "Lunch moved to 1pm on Friday.")
    await workspace.say(RANDOM, "Works for me.", thread_ts=root["ts"])
    await workspace.shortcut(RANDOM, root["ts"], "claude_summarize_thread")
    summary = await workspace.slack.wait_for(lambda: [a for a in dm_answers(box) if "Works for me." in a])
    assert "Lunch moved to 1pm on Friday." in summary[0], "the offline model quotes the whole thread"

    link = workspace.permalink(RANDOM, root["ts"])
    assert link.startswith("https://sandbox.slack.com/archives/C0RANDOM/p")
    await workspace.say(GENERAL, f"@Claude what time is lunch? {link}")
    answered = await workspace.slack.wait_for(
        lambda: [m for m in workspace.slack.bot_messages(GENERAL) if "Lunch moved" in m["text"]]
    )
    assert answered

    await workspace.command(RANDOM, "/claude summarize")
    assert await workspace.slack.wait_for(lambda: [n for n in notes(box) if "Summarizing" in n["text"]])
    await workspace.slack.wait_for(lambda: [a for a in dm_answers(box) if "Summarize what happened" in a])

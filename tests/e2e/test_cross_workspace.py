"""Two workspaces with the bot installed share a Slack Connect channel: both see the same answers
and buttons, and a click acts only on its own workspace's answers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.fakes.claude import Fault, Reply
from bot.listeners.actions import NOT_YOURS
from bot.slack.blocks import FEEDBACK_ACTION, STOP_ACTION
from bot.store.models import Feedback
from tests.conftest import Harness
from tests.e2e.test_core_loop import bot_replies, notices
from tests.e2e.test_oauth import OAUTH, install

OTHER = "T0OTHER"
ANSWER = "A long answer that takes a few seconds to write, sentence after sentence. " * 8


async def two_workspaces(make_harness: Any, **overrides: Any) -> Harness:
    """This workspace (T0TEAM, where the conversation is) and another (T0OTHER), both installed."""
    harness: Harness = await make_harness(**OAUTH, **overrides)
    harness.slack.oauth_codes["other-code"] = OTHER
    base = f"http://127.0.0.1:{harness.bot.port}"
    assert (await install(base)).startswith("200")
    assert (await install(base, "other-code")).startswith("200")
    return harness


def button(messages: list[dict], action_id: str) -> tuple[str, str] | None:
    """(message ts, value) of the first button with this action among `messages`."""
    for message in messages:
        for block in message.get("blocks") or []:
            for element in block.get("elements", []):
                if element.get("action_id") == action_id:
                    return message["ts"], element["value"]
    return None


async def click(harness: Harness, thread_ts: str, found: tuple[str, str], action_id: str, team: str) -> None:
    message_ts, value = found
    status, _ = await harness.slack.block_action(
        harness.url,
        user="U2",
        channel="C1",
        message_ts=message_ts,
        action_id=action_id,
        value=value,
        thread_ts=thread_ts,
        team=None if team == harness.slack.team_id else team,
    )
    assert status == 200


async def told_not_yours(harness: Harness) -> None:
    await harness.slack.wait_for(lambda: any(e.get("text") == NOT_YOURS for e in harness.slack.ephemeral))


@pytest.mark.parametrize("action_id", ["retry_turn", "continue_turn"])
async def test_a_retry_continue_or_stop_click_from_another_workspace_does_nothing(
    make_harness: Any, action_id: str
) -> None:
    """Retry and Continue here; Stop below. The owner's own click then works, so the refusal is
    about the workspace, not a broken button."""
    if action_id == "retry_turn":
        harness = await two_workspaces(make_harness)
        harness.claude.script(Reply("second try", fault=Fault("status", status=529, retry_after=0)))
    else:
        harness = await two_workspaces(make_harness, claude_max_tokens=10)
        harness.claude.script("word " * 50, "second try")
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> a question")
    await harness.wait_for_turns(1)
    found = button(notices(harness, "C1", mention["ts"]), action_id)
    assert found is not None
    requests = len(harness.claude.message_requests())

    await click(harness, mention["ts"], found, action_id, OTHER)
    await told_not_yours(harness)
    assert len(harness.claude.message_requests()) == requests, "nothing of this thread went to Claude"
    assert button(notices(harness, "C1", mention["ts"]), action_id) == found, "the notice is untouched"
    assert len(await harness.usage_rows()) == 1, "no turn, no ledger row for the other workspace"

    await click(harness, mention["ts"], found, action_id, harness.slack.team_id)
    [_, row] = await harness.wait_for_turns(2)
    assert row.team_id == harness.slack.team_id
    assert bot_replies(harness, "C1", mention["ts"])[-1]["text"] == "second try"


@pytest.mark.parametrize("mode", ["native", "edit"])
async def test_a_stop_click_from_another_workspace_does_nothing(make_harness: Any, mode: str) -> None:
    harness = await two_workspaces(make_harness, slack_stream_mode=mode)
    harness.claude.tokens_per_second = 40
    harness.claude.script(ANSWER)
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> talk")
    found = await harness.slack.wait_for(
        lambda: button(harness.slack.thread("C1", mention["ts"]), STOP_ACTION)
    )

    await click(harness, mention["ts"], found, STOP_ACTION, OTHER)
    await told_not_yours(harness)
    [row] = await harness.wait_for_turns(1)
    assert bot_replies(harness, "C1", mention["ts"])[0]["text"] == ANSWER, "the answer ran to its end"
    assert row.error_kind is None and notices(harness, "C1", mention["ts"]) == []


async def test_feedback_from_another_workspace_is_not_recorded_on_this_workspaces_answer(
    make_harness: Any,
) -> None:
    harness = await two_workspaces(make_harness)
    harness.claude.script("An answer worth rating.")
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> rate me")
    await harness.wait_for_turns(1)
    [reply] = bot_replies(harness, "C1", mention["ts"])
    status, _ = await harness.slack.block_action(
        harness.url,
        user="U2",
        channel="C1",
        message_ts=reply["ts"],
        action_id=FEEDBACK_ACTION,
        value=f"+1 {reply['ts']}",
        element_type="feedback_buttons",
        team=OTHER,
    )
    assert status == 200
    await harness.slack.wait_for(lambda: harness.slack.ephemeral)
    async with harness.db.session() as session:
        assert await session.get(Feedback, (1, "U2")) is None

"""Admin controls end to end: real Bolt, slack_sdk and anthropic against the fakes.

Who may change what, the prompt editor modal, prompt history, models per channel, the monthly
token budget (its 80 % DM to admins and its refusal at 100 %) and `/claude usage`.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.slack.prompt_modal import ACTION_ID, BLOCK_ID
from bot.store import ledger, prompts, workspace_settings
from bot.store.models import UsageRecord
from tests.conftest import Harness, wait_until


@pytest.fixture
def admins(harness: Harness) -> Harness:
    """The default workspace plus an admin (UA) and an owner (UO)."""
    harness.slack.add_user("UA", "ada", display_name="Ada", is_admin=True)
    harness.slack.add_user("UO", "otto", display_name="Otto", is_owner=True)
    return harness


async def say(h: Harness, text: str, *, user: str = "U1", channel: str = "C1") -> str:
    """`/claude <text>` as `user`; the ephemeral answer's text ("" when the bot only acked)."""
    status, body = await h.slack.slash_command(h.url, text, user=user, channel=channel)
    assert status == 200
    return body


async def ask(h: Harness, text: str, *, channel: str = "C1", turns: int) -> dict:
    """Mention the bot and wait for the turn's ledger row; the request Claude received."""
    await h.slack.user_says(h.url, channel, "U1", f"<@UBOT> {text}")
    await h.wait_for_turns(turns)
    return h.claude.message_requests()[-1]


def notices(h: Harness, channel: str, thread_ts: str) -> list[dict]:
    return [
        m
        for m in h.slack.thread(channel, thread_ts)
        if (m.get("metadata") or {}).get("event_type") == NOTICE_EVENT_TYPE
    ]


async def test_members_cannot_change_workspace_settings(admins: Harness) -> None:
    h = admins
    for text, protected in [
        ("prompt --workspace Be formal.", "workspace-wide prompt"),
        ("prompt --workspace reset", "workspace-wide prompt"),
        ("prompt --workspace", "workspace-wide prompt"),
        ("model --workspace claude-opus-5-5", "default model"),
        ("budget 5M", "monthly token budget"),
        ("budget off", "monthly token budget"),
        ("prompt admins-only on", "who may change channel prompts"),
    ]:
        answer = await say(h, text, user="U1")
        assert answer.startswith("Only workspace admins and owners can change") and protected in answer, text
    assert h.slack.opened_views == [], "no editor opens for someone who may not save"
    workspace = await workspace_settings.workspace(h.db, "T0TEAM")
    assert (workspace.prompt, workspace.model, workspace.monthly_token_budget) == (None, None, None)
    assert not workspace.channel_prompts_admins_only

    assert "every channel" in await say(h, "prompt --workspace Answer in British English.", user="UO")
    assert "Done" in await say(h, "prompt Answer as a terse SRE.", user="U1")
    request = await ask(h, "disk full?", turns=1)
    system = request["system"]
    assert system.index("British English") < system.index("terse SRE"), "workspace layer before the channel's"
    shown = await say(h, "prompt show", user="U2")
    assert "British English" in shown and "terse SRE" in shown and "<@U1>" in shown
    assert "British English" in await say(h, "prompt --workspace show", user="U2")


async def test_admins_can_reserve_channel_prompts_and_models_for_themselves(admins: Harness) -> None:
    h = admins
    assert "Only workspace admins" in await say(h, "prompt admins-only on", user="UA")
    refused = await say(h, "prompt Be brief.", user="U1")
    assert "only admins and owners can change channel prompts" in refused
    assert "channel models" in await say(h, "model claude-haiku-5-5", user="U1")
    assert "only admins" in await say(h, "prompt", user="U1")
    assert h.slack.opened_views == []
    assert await prompts.get(h.db, "T0TEAM", "C1") is None
    assert "Done" in await say(h, "prompt Be brief.", user="UA")

    assert "Anyone" in await say(h, "prompt admins-only off", user="UO")
    assert "Done" in await say(h, "prompt Be briefer.", user="U1")
    stored_prompt = await prompts.get(h.db, "T0TEAM", "C1")
    assert stored_prompt is not None and stored_prompt.prompt == "Be briefer."


async def test_prompt_editor_round_trip_and_history(harness: Harness) -> None:
    h = harness
    assert "Done" in await say(h, "prompt Old instructions.", user="U2")
    assert await say(h, "prompt", user="U1") == "", "the editor opens; nothing else is said"
    [view] = h.slack.opened_views
    [field] = view["blocks"]
    assert field["element"]["initial_value"] == "Old instructions."
    assert json.loads(view["private_metadata"]) == {"channel": "C1"}

    status, body = await h.slack.view_submission(
        h.url, view, user="U1", values={BLOCK_ID: {ACTION_ID: "You answer as a pirate."}}
    )
    assert status == 200
    response = json.loads(body)
    assert response["response_action"] == "update" and "Saved" in json.dumps(response["view"])
    saved = await prompts.get(h.db, "T0TEAM", "C1")
    assert saved is not None and (saved.prompt, saved.set_by) == ("You answer as a pirate.", "U1")
    request = await ask(h, "hello?", turns=1)
    assert "You answer as a pirate." in request["system"]
    assert "Old instructions." not in request["system"]

    _, body = await h.slack.view_submission(h.url, view, user="U3", values={BLOCK_ID: {ACTION_ID: None}})
    assert "Removed" in json.dumps(json.loads(body)["view"])
    assert await prompts.get(h.db, "T0TEAM", "C1") is None

    history = (await say(h, "prompt history", user="U3")).splitlines()
    assert history[0].startswith("*Prompt changes*")
    assert "<@U3>" in history[1] and "“You answer as a pirate.” → _(none)_" in history[1]
    assert "<@U1>" in history[2] and "“Old instructions.” → “You answer as a pirate.”" in history[2]
    assert "<@U2>" in history[3] and "_(none)_ → “Old instructions.”" in history[3]


@pytest.mark.fault
async def test_an_editor_slack_refuses_to_open_leaves_the_way_by_command(harness: Harness) -> None:
    harness.slack.faults["views.open"] = ["internal_error"]
    answer = await say(harness, "prompt")
    assert "couldn't open the editor" in answer and "`/claude prompt <text>`" in answer
    assert harness.slack.opened_views == []


async def test_editor_save_is_checked_again_when_submitted(admins: Harness) -> None:
    h = admins
    await say(h, "prompt", user="U1")
    [view] = h.slack.opened_views
    await say(h, "prompt admins-only on", user="UA")
    _, body = await h.slack.view_submission(h.url, view, user="U1", values={BLOCK_ID: {ACTION_ID: "sneaky"}})
    response = json.loads(body)
    assert response["response_action"] == "errors" and "only admins" in response["errors"][BLOCK_ID]
    assert await prompts.get(h.db, "T0TEAM", "C1") is None

    await say(h, "prompt --workspace", user="UA")
    workspace_view = h.slack.opened_views[-1]
    assert json.loads(workspace_view["private_metadata"]) == {"channel": None}
    await h.slack.view_submission(
        h.url, workspace_view, user="UA", values={BLOCK_ID: {ACTION_ID: "House style."}}
    )
    assert (await workspace_settings.workspace(h.db, "T0TEAM")).prompt == "House style."


async def test_model_per_channel_and_workspace_default(admins: Harness) -> None:
    h = admins
    listed = await say(h, "model", user="U1")
    assert "uses `claude-sonnet-5-5` (the bot's default)" in listed
    assert all(f"`{m}`" in listed for m in ("claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5"))

    refused = await say(h, "model gpt-5", user="U1")
    assert refused.startswith("I don't know the model `gpt-5`") and "`claude-opus-5-5`" in refused
    assert await workspace_settings.channel_model(h.db, "T0TEAM", "C1") is None

    assert "claude-opus-5-5" in await say(h, "model Claude-Opus-5-5", user="U1")
    assert (await ask(h, "one", turns=1))["model"] == "claude-opus-5-5"
    assert (await ask(h, "two", channel="C2", turns=2))["model"] == "claude-sonnet-5-5", "only C1 changed"

    await say(h, "model --workspace claude-haiku-5-5", user="UA")
    assert (await ask(h, "three", channel="C2", turns=3))["model"] == "claude-haiku-5-5"
    assert (await ask(h, "four", turns=4))["model"] == "claude-opus-5-5", "the channel's own choice wins"
    assert "back to the default" in await say(h, "model reset", user="U2")
    assert (await ask(h, "five", turns=5))["model"] == "claude-haiku-5-5"
    rows = await h.usage_rows()
    assert [row.model for row in rows][-1] == "claude-haiku-5-5", "the ledger records the model used"


async def spend(h: Harness, tokens: int, user: str = "U1") -> None:
    """Usage as earlier turns this month would have left it in the ledger."""
    await ledger.record(
        h.db,
        UsageRecord(
            team_id="T0TEAM", channel_id="C9", thread_ts="1.0", user_id=user, model="m", input_tokens=tokens
        ),
    )


def direct_messages(h: Harness, user: str) -> list[str]:
    channel = h.slack.dm_with(user)
    return [m["text"] for m in h.slack.bot_messages(channel)] if channel else []


@pytest.mark.parametrize("bot_database_url", ["sqlite", "postgresql"], indirect=True)
async def test_budget_warns_admins_once_then_stops_at_the_limit(make_harness, bot_database_url: str) -> None:
    h: Harness = await make_harness(monthly_token_budget=100_000)
    for n in range(230):  # more than one users.list page
        h.slack.add_user(f"UF{n:03d}", f"filler{n}")
    h.slack.add_user("UA", "ada", is_admin=True)
    h.slack.add_user("UO", "otto", is_owner=True)
    h.slack.add_user("UX", "gone", is_admin=True)["deleted"] = True
    await spend(h, 79_000)
    await ask(h, "below 80 %", turns=2)
    assert direct_messages(h, "UA") == []

    await spend(h, 2_000)
    await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> first past 80 %")
    await h.slack.user_says(h.url, "C2", "U2", "<@UBOT> second past 80 %")
    await h.wait_for_turns(5)
    await wait_until(lambda: direct_messages(h, "UA") and direct_messages(h, "UO"), 10, "budget DMs")
    [warning] = direct_messages(h, "UA")
    share = re.search(r"has used (\d+)% of its monthly Claude budget", warning)
    assert share and 80 <= int(share.group(1)) < 100, warning
    assert "/claude budget" in warning
    assert len(direct_messages(h, "UO")) == 1
    assert direct_messages(h, "UX") == [] and direct_messages(h, "U1") == []
    assert len(h.slack.calls_to("users.list")) >= 2, "paged through the member list"
    assert (await workspace_settings.workspace(h.db, "T0TEAM")).budget_warned_month is not None

    await spend(h, 100_000)
    calls_before, rows_before = len(h.claude.message_requests()), len(await h.usage_rows())
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> over budget?")
    await wait_until(lambda: notices(h, "C1", mention["ts"]), 10, "the budget notice")
    [notice] = notices(h, "C1", mention["ts"])
    assert "monthly Claude budget" in notice["text"] and "/claude budget" in notice["text"]
    assert len(h.claude.message_requests()) == calls_before, "Claude is not called past the budget"
    assert len(await h.usage_rows()) == rows_before
    assert len(direct_messages(h, "UA")) == 1, "one warning a month"

    shown = await say(h, "budget", user="U2")
    assert "of 100k tokens" in shown and "not answering" in shown
    assert "1M tokens" in await say(h, "budget 1M", user="UA")
    mention = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> and now?")
    await h.wait_for_turns(rows_before + 1)
    assert notices(h, "C1", mention["ts"]) == []


async def test_usage_shows_admins_the_workspace_and_members_their_own(admins: Harness) -> None:
    h = admins
    await spend(h, 1_000, user="U1")
    await spend(h, 30_000, user="U2")
    member = await say(h, "usage", user="U1")
    assert member.startswith("*Your Claude usage*")
    assert "1,000" in member and "31,000" not in member
    assert "no monthly token budget" in member
    admin = await say(h, "usage", user="UA")
    assert admin.startswith("*Claude usage in this workspace*")
    today = next(line for line in admin.splitlines() if line.startswith("today"))
    assert today.split() == ["today", "2", "31,000", "0", "0"]

    await say(h, "budget 50k", user="UO")
    with_budget = await say(h, "usage", user="U1")
    assert "This month so far: 31k of 50k tokens (62%" in with_budget

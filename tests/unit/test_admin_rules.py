"""The pure rules behind `/claude`'s admin controls: who may, budgets, models, the words, the modal."""

from datetime import UTC, datetime

import pytest

from bot.core.command_syntax import Command, parse
from bot.core.model_choice import choose, find
from bot.core.permissions import is_admin, refusal
from bot.core.token_budget import (
    BudgetStatus,
    effective_limit,
    exhausted_notice,
    format_tokens,
    month_key,
    summary_line,
)
from bot.flows import command_replies as replies
from bot.slack.prompt_modal import ACTION_ID, BLOCK_ID, Target, editor_view, submitted
from bot.store.models import PromptChange

MEMBER = {"id": "U1", "is_admin": False, "is_owner": False, "is_primary_owner": False}


@pytest.mark.parametrize(
    "user",
    [
        {"is_admin": True},
        {"is_owner": True},
        {"is_primary_owner": True},
        {"enterprise_user": {"is_admin": True}},
    ],
)
def test_admins_and_owners_are_admins(user: dict) -> None:
    assert is_admin(user)
    assert not is_admin(MEMBER)
    assert not is_admin({})


@pytest.mark.parametrize(
    "text",
    [
        "prompt --workspace Be formal.",
        "prompt --workspace reset",
        "prompt --workspace",
        "model --workspace claude-opus-5-5",
        "budget 5M",
        "budget off",
        "budget default",
        "prompt admins-only on",
    ],
)
def test_workspace_wide_changes_need_an_admin(text: str) -> None:
    command = parse(text)
    reason = refusal(command, admin=False, channel_locked=False)
    assert reason and reason.startswith("Only workspace admins and owners can change")
    assert refusal(command, admin=True, channel_locked=False) is None


@pytest.mark.parametrize(
    "text", ["prompt show", "prompt history", "prompt --workspace show", "model", "budget"]
)
def test_reading_is_open_to_everyone(text: str) -> None:
    assert refusal(parse(text), admin=False, channel_locked=True) is None


@pytest.mark.parametrize("text", ["prompt Be brief.", "prompt reset", "prompt", "model claude-haiku-5-5"])
def test_channel_changes_are_open_unless_an_admin_locked_them(text: str) -> None:
    command = parse(text)
    assert refusal(command, admin=False, channel_locked=False) is None
    reason = refusal(command, admin=False, channel_locked=True)
    assert reason and "only admins and owners can change channel" in reason
    assert refusal(command, admin=True, channel_locked=True) is None


def test_refusals_say_what_is_protected() -> None:
    budget = refusal(Command("budget_set", tokens=5), admin=False, channel_locked=False)
    model = refusal(parse("model --workspace x"), admin=False, channel_locked=False)
    assert budget and "budget" in budget
    assert model and "default model" in model


NOV = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_budget_limits_and_shares() -> None:
    assert effective_limit(None, None) is None
    assert effective_limit(None, 1000) == 1000
    assert effective_limit(500, 1000) == 500
    assert effective_limit(0, 1000) is None, "a workspace may switch the deployment's budget off"
    status = BudgetStatus(used=800, limit=1000, now=NOV, warned_month=None)
    assert status.month == month_key(NOV) == "2026-11"
    assert status.needs_warning and not status.exhausted
    assert not BudgetStatus(799, 1000, NOV, None).needs_warning
    assert not BudgetStatus(900, 1000, NOV, "2026-11").needs_warning, "once a month"
    assert BudgetStatus(900, 1000, NOV, "2026-10").needs_warning
    assert BudgetStatus(1000, 1000, NOV, "2026-11").exhausted


def test_budget_words() -> None:
    notice = exhausted_notice(BudgetStatus(5_000_000, 5_000_000, NOV, None))
    assert "5M tokens" in notice and "1 December" in notice
    december = exhausted_notice(BudgetStatus(9, 9, datetime(2026, 12, 31, 23, tzinfo=UTC), None))
    assert "1 January" in december
    assert "4.1M of 5M tokens (82%" in summary_line(BudgetStatus(4_100_000, 5_000_000, NOV, None))
    assert summary_line(None) == "This workspace has no monthly token budget."
    assert [format_tokens(n) for n in (950, 12_500, 1_000_000)] == ["950", "12.5k", "1M"]


ALLOWED = ("claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5")


def test_model_choice_prefers_channel_then_workspace_then_default() -> None:
    default = "claude-sonnet-5-5"
    assert choose(
        channel="claude-opus-5-5", workspace="claude-haiku-5-5", default=default, allowed=ALLOWED
    ) == (
        "claude-opus-5-5",
        "channel",
    )
    assert choose(channel=None, workspace="claude-haiku-5-5", default=default, allowed=ALLOWED) == (
        "claude-haiku-5-5",
        "workspace",
    )
    assert choose(channel="claude-retired-1", workspace=None, default=default, allowed=ALLOWED) == (
        default,
        "default",
    ), "a model taken off the list is skipped"
    assert find(" `Claude-Opus-5-5` ", ALLOWED) == "claude-opus-5-5"
    assert find("gpt-5", ALLOWED) is None


def test_history_is_compact_and_escaped() -> None:
    at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    changes = [
        PromptChange(
            team_id="T",
            channel_id=None,
            old_prompt=None,
            new_prompt="<!channel> hi",
            changed_by="U9",
            changed_at=at,
        ),
        PromptChange(
            team_id="T",
            channel_id="C1",
            old_prompt="x" * 200,
            new_prompt=None,
            changed_by="U1",
            changed_at=at,
        ),
    ]
    text = replies.history(changes)
    first, second = text.splitlines()[1:]
    assert "<@U9>" in first and "workspace" in first and "_(none)_ → “&lt;!channel&gt; hi”" in first
    assert "this channel" in second and "…” → _(none)_" in second and len(second) < 200
    assert "|2026-11-20 09:30 UTC>" in first
    assert replies.history([]) == "Neither this channel's prompt nor the workspace's has been changed yet."


def test_models_shown_marks_the_channels_model() -> None:
    text = replies.models_shown("claude-opus-5-5", "channel", ALLOWED)
    assert "`claude-opus-5-5` (chosen for this channel)" in text
    assert "• `claude-opus-5-5` ← this channel" in text
    assert "• `claude-haiku-5-5`" in text and "`claude-haiku-5-5` ←" not in text
    unknown = replies.unknown_model("gpt-<5>", ALLOWED)
    assert "gpt-&lt;5&gt;" in unknown and all(f"`{m}`" in unknown for m in ALLOWED)


def test_editor_round_trips_its_target_and_text() -> None:
    view = editor_view(Target("C1"), "Be brief.")
    [field] = view["blocks"]
    assert field["element"]["initial_value"] == "Be brief." and field["element"]["multiline"]
    assert field["element"]["max_length"] == 3000
    view["state"] = {"values": {BLOCK_ID: {ACTION_ID: {"type": "plain_text_input", "value": " New text\n"}}}}
    assert submitted(view) == (Target("C1"), "New text")
    workspace = editor_view(Target(None), None)
    assert "initial_value" not in workspace["blocks"][0]["element"]
    workspace["state"] = {"values": {BLOCK_ID: {ACTION_ID: {"type": "plain_text_input", "value": None}}}}
    assert submitted(workspace) == (Target(None), None)

"""Admin settings in the store, on SQLite and PostgreSQL: the turn's one read, prompt history,
channel models, the once-a-month budget warning claim and the month-to-date token sum."""

from datetime import timedelta

from bot.store import Database, ledger, prompts, workspace_settings
from bot.store.models import UsageRecord, utcnow
from bot.store.workspace_settings import TurnSettings


async def test_a_turn_reads_everything_in_one_go(db: Database) -> None:
    assert await workspace_settings.for_turn(db, "T1", "C1") == TurnSettings()
    await prompts.put(db, team_id="T1", channel_id="C1", prompt="terse", set_by="U1", enterprise_id=None)
    await prompts.set_workspace(db, team_id="T1", prompt="formal", changed_by="U9", enterprise_id="E1")
    await workspace_settings.set_channel_model(db, "T1", "C1", model="claude-opus-5-5", set_by="U1")
    await workspace_settings.update_workspace(
        db, "T1", enterprise_id="E1", updated_by="U9", model="claude-haiku-5-5", monthly_token_budget=500
    )
    assert await workspace_settings.for_turn(db, "T1", "C1") == TurnSettings(
        channel_prompt="terse",
        channel_model="claude-opus-5-5",
        workspace_prompt="formal",
        workspace_model="claude-haiku-5-5",
        monthly_token_budget=500,
    )
    other_channel = await workspace_settings.for_turn(db, "T1", "C2")
    assert (other_channel.channel_prompt, other_channel.channel_model) == (None, None)
    assert other_channel.workspace_prompt == "formal"
    assert await workspace_settings.for_turn(db, "T2", "C1") == TurnSettings()


async def test_workspace_settings_start_from_defaults_and_keep_who_changed_them(db: Database) -> None:
    fresh = await workspace_settings.workspace(db, "T1")
    assert (fresh.prompt, fresh.model, fresh.monthly_token_budget, fresh.channel_prompts_admins_only) == (
        None,
        None,
        None,
        False,
    )
    await workspace_settings.update_workspace(
        db, "T1", enterprise_id=None, updated_by="U9", channel_prompts_admins_only=True
    )
    await workspace_settings.update_workspace(
        db, "T1", enterprise_id=None, updated_by="U8", monthly_token_budget=0
    )
    saved = await workspace_settings.workspace(db, "T1")
    assert saved.channel_prompts_admins_only and saved.monthly_token_budget == 0
    assert saved.updated_by == "U8"


async def test_every_prompt_change_is_recorded_old_to_new(db: Database) -> None:
    await prompts.put(db, team_id="T1", channel_id="C1", prompt="one", set_by="U1", enterprise_id=None)
    await prompts.put(db, team_id="T1", channel_id="C1", prompt="two", set_by="U2", enterprise_id=None)
    await prompts.put(db, team_id="T1", channel_id="C1", prompt="two", set_by="U2", enterprise_id=None)
    await prompts.put(db, team_id="T1", channel_id="C2", prompt="elsewhere", set_by="U3", enterprise_id=None)
    assert await prompts.set_workspace(db, team_id="T1", prompt="house", changed_by="U9", enterprise_id=None)
    assert not await prompts.set_workspace(
        db, team_id="T1", prompt="house", changed_by="U9", enterprise_id=None
    )
    assert await prompts.delete(db, "T1", "C1", changed_by="U4")
    assert await prompts.set_workspace(db, team_id="T1", prompt=None, changed_by="U9", enterprise_id=None)

    changes = await prompts.history(db, "T1", "C1")
    assert [(c.channel_id, c.old_prompt, c.new_prompt, c.changed_by) for c in changes] == [
        (None, "house", None, "U9"),
        ("C1", "two", None, "U4"),
        (None, None, "house", "U9"),
        ("C1", "one", "two", "U2"),
        ("C1", None, "one", "U1"),
    ], "newest first; no-op saves and other channels left out"
    assert len(await prompts.history(db, "T1", "C1", limit=2)) == 2
    assert await prompts.history(db, "T2", "C1") == []


async def test_channel_models(db: Database) -> None:
    assert await workspace_settings.channel_model(db, "T1", "C1") is None
    await workspace_settings.set_channel_model(db, "T1", "C1", model="a", set_by="U1")
    await workspace_settings.set_channel_model(db, "T1", "C1", model="b", set_by="U2")
    row = await workspace_settings.channel_model(db, "T1", "C1")
    assert row is not None and (row.model, row.set_by) == ("b", "U2")
    assert await workspace_settings.reset_channel_model(db, "T1", "C1")
    assert not await workspace_settings.reset_channel_model(db, "T1", "C1")


async def test_budget_warning_is_claimed_once_a_month_across_processes(db: Database) -> None:
    other = Database(db.url)
    try:
        assert await workspace_settings.claim_budget_warning(db, "T1", "2026-11")
        assert not await workspace_settings.claim_budget_warning(other, "T1", "2026-11")
        assert not await workspace_settings.claim_budget_warning(db, "T1", "2026-11")
        assert await workspace_settings.claim_budget_warning(other, "T2", "2026-11")
        assert await workspace_settings.claim_budget_warning(other, "T1", "2026-12")
        assert (await workspace_settings.workspace(db, "T1")).budget_warned_month == "2026-12"
    finally:
        await other.close()


async def test_tokens_since_counts_all_four_kinds_for_one_workspace(db: Database) -> None:
    def row(team: str, **fields: object) -> UsageRecord:
        return UsageRecord(team_id=team, channel_id="C1", thread_ts="1.0", model="m", **fields)  # type: ignore[arg-type]

    now = utcnow()
    await ledger.record(
        db,
        row(
            "T1",
            input_tokens=1,
            output_tokens=20,
            cache_creation_input_tokens=300,
            cache_read_input_tokens=4000,
        ),
    )
    await ledger.record(db, row("T1", input_tokens=50_000, created_at=now - timedelta(days=40)))
    await ledger.record(db, row("T2", input_tokens=7))
    assert await ledger.tokens_since(db, "T1", now - timedelta(days=1)) == 4321
    assert await ledger.tokens_since(db, "T1", now - timedelta(days=41)) == 54_321
    assert await ledger.tokens_since(db, "T3", now - timedelta(days=1)) == 0

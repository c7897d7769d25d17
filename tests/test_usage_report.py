"""The App Home's aggregate queries and feedback recording, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.workspace_usage import Ranked
from bot.store import feedback
from bot.store.db import Database
from bot.store.feedback import Recorded
from bot.store.ledger import record
from bot.store.models import UsageRecord
from bot.store.usage_report import workspace_usage

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def add(
    db: Database, *, days_ago: float, channel: str, user: str | None, tokens: int, team: str = "T1"
) -> None:
    await record(
        db,
        UsageRecord(
            created_at=NOW - timedelta(days=days_ago),
            team_id=team,
            channel_id=channel,
            thread_ts="1.1",
            user_id=user,
            model="claude-x",
            input_tokens=tokens,
            output_tokens=tokens,
            cache_creation_input_tokens=tokens,
            cache_read_input_tokens=tokens,
            reply_ts=f"{days_ago}.{channel}",
        ),
    )


async def test_workspace_usage_sums_the_window_by_day_channel_and_person(db: Database) -> None:
    await add(db, days_ago=0, channel="C1", user="U1", tokens=100)
    await add(db, days_ago=0.4, channel="C1", user="U2", tokens=50)  # 02:24 the same UTC day
    await add(db, days_ago=3, channel="C2", user="U2", tokens=10)
    await add(db, days_ago=29.4, channel="C3", user=None, tokens=1)  # Oct 24 02:24: the window's first day
    await add(db, days_ago=31, channel="C1", user="U1", tokens=1000)  # before the window
    await add(db, days_ago=0, channel="C1", user="U1", tokens=7, team="T2")  # another workspace
    usage = await workspace_usage(
        db, "T1", since=date(2026, 10, 24), month_start=datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert usage.daily == {date(2026, 11, 22): 600, date(2026, 11, 19): 40, date(2026, 10, 24): 4}
    assert (usage.requests, usage.input_tokens, usage.cache_read_input_tokens) == (4, 161, 161)
    assert usage.top_channels == [Ranked("C1", 600), Ranked("C2", 40), Ranked("C3", 4)]
    assert usage.top_users == [Ranked("U1", 400), Ranked("U2", 240)]
    assert usage.month_tokens == 640
    assert (usage.thumbs_up, usage.thumbs_down) == (0, 0)


async def test_feedback_finds_the_answer_and_a_second_press_replaces_the_first(db: Database) -> None:
    await add(db, days_ago=0, channel="C1", user="U1", tokens=5)
    press = {"team_id": "T1", "channel_id": "C1", "reply_ts": "0.C1"}
    assert await feedback.record(db, **press, user_id="U2", rating=1) is Recorded.NEW
    assert await feedback.record(db, **press, user_id="U2", rating=1) is Recorded.SAME
    assert await feedback.record(db, **press, user_id="U3", rating=1) is Recorded.NEW
    assert await feedback.record(db, **press, user_id="U2", rating=-1) is Recorded.CHANGED
    wrong_channel = {**press, "channel_id": "C9"}
    assert await feedback.record(db, **wrong_channel, user_id="U2", rating=1) is Recorded.NO_ANSWER
    usage = await workspace_usage(
        db, "T1", since=date(2026, 10, 24), month_start=datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert (usage.thumbs_up, usage.thumbs_down) == (1, 1)

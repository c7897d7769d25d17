"""The monthly budget under concurrency, end to end: every call reserves its estimate in the
database before it starts, so a burst can't spend past the budget by more than one answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.store import workspace_settings
from bot.store.models import TokenReservation, utcnow
from tests.conftest import Harness, wait_until

TEAM = "T0TEAM"
ANSWER = "word " * 160
"""200 tokens as the fake Claude counts them (4 characters each)."""


def split_thread(
    h: Harness, channel: str, thread_ts: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The bot's answers and its notices in a thread."""
    mine = h.slack.bot_messages(channel, thread_ts)
    notices = [m for m in mine if (m.get("metadata") or {}).get("event_type") == NOTICE_EVENT_TYPE]
    return [m for m in mine if m not in notices], notices


async def reservations(h: Harness) -> int:
    async with h.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(TokenReservation))).scalar_one())


@pytest.mark.parametrize("bot_database_url", ["sqlite", "postgresql"], indirect=True)
async def test_forty_mentions_at_once_spend_at_most_the_budget_and_one_answer(
    make_harness: Any, bot_database_url: str
) -> None:
    budget, max_tokens = 1_000, 300
    h: Harness = await make_harness(monthly_token_budget=budget, claude_max_tokens=max_tokens)
    h.claude.ttft = 0.3  # the calls overlap, as in a real burst
    h.claude.script(*[ANSWER] * 40)
    for n in range(40):
        h.slack.add_user(f"UM{n:02d}", f"member{n}")
        h.slack.add_channel(f"CM{n:02d}", f"room{n}")
    # Forty people in forty rooms: in one room, forty notices would queue behind Slack's
    # one-message-a-second limit per channel.
    parents = await asyncio.gather(
        *(h.slack.user_says(h.url, f"CM{n:02d}", f"UM{n:02d}", f"<@UBOT> question {n}") for n in range(40))
    )
    rooms = [f"CM{n:02d}" for n in range(40)]

    def settled() -> bool:
        return all(any(split_thread(h, room, p["ts"])) for room, p in zip(rooms, parents, strict=True))

    await wait_until(settled, 30, "an answer or a notice in every thread")
    rows = await h.wait_for_turns(len(h.claude.message_requests()))
    spent = sum(
        r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens
        for r in rows
    )
    assert spent <= budget + max_tokens
    assert len(rows) == len(h.claude.message_requests()), "every call is in the ledger"
    answered = refused = 0
    for room, parent in zip(rooms, parents, strict=True):
        answers, notices = split_thread(h, room, parent["ts"])
        if answers:
            answered += 1
            assert not notices
        else:
            refused += 1
            [notice] = notices
            assert "monthly Claude budget" in notice["text"] and "/claude budget" in notice["text"]
    assert answered >= 1 and refused >= 1 and answered + refused == 40
    assert answered == len(h.claude.message_requests()), "a refused mention never reaches Claude"
    assert await reservations(h) == 0, "every reservation was settled"


async def test_a_reservation_left_by_a_crashed_turn_holds_the_budget_until_it_expires(
    harness: Harness,
) -> None:
    h = harness
    await workspace_settings.update_workspace(
        h.db, TEAM, enterprise_id=None, updated_by="U9", monthly_token_budget=1_000
    )
    now = utcnow()
    async with h.db.session() as session:
        session.add(
            TokenReservation(
                id="crashed",
                team_id=TEAM,
                tokens=5_000,
                created_at=now,
                expires_at=now + timedelta(minutes=30),
            )
        )
        await session.commit()
    held = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> while it holds")
    await wait_until(lambda: split_thread(h, "C1", held["ts"])[1], 10, "the budget notice")
    assert h.claude.message_requests() == []

    async with h.db.session() as session:  # the crashed turn's time runs out
        await session.execute(
            update(TokenReservation).where(TokenReservation.id == "crashed").values(expires_at=now)
        )
        await session.commit()
    freed = await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> after it expired")
    await h.wait_for_turns(1)
    assert split_thread(h, "C1", freed["ts"])[0], "answered"
    assert await reservations(h) == 0, "the expired reservation is gone"

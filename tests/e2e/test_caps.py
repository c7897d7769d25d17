"""Caps on answers at once, end to end: per person and per process, the rest queued and shown as
waiting, a hostile flood bounded, and a shutdown that starts nothing it queued."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.fakes.claude import RecordedRequest
from bot.flows.admission import Verdict
from bot.flows.intake import TURNED_AWAY, WAITING_STATUS
from bot.slack.reply import THINKING_STATUS
from bot.store.models import TokenReservation
from tests.conftest import Harness, wait_until


def most_at_once(requests: list[RecordedRequest]) -> int:
    """The most Claude requests open at the same moment (arrival to last token), from the fake's records."""
    edges = sorted([(r.time, 1) for r in requests] + [(r.last_delta or r.time, -1) for r in requests])
    open_now = most = 0
    for _, step in edges:
        open_now += step
        most = max(most, open_now)
    return most


def claude_calls(h: Harness) -> list[RecordedRequest]:
    return [r for r in h.claude.requests if r.path == "/v1/messages"]


def answers_and_notices(h: Harness, thread_ts: str) -> tuple[list[dict], list[dict]]:
    mine = h.slack.bot_messages("C1", thread_ts)
    notices = [m for m in mine if (m.get("metadata") or {}).get("event_type") == NOTICE_EVENT_TYPE]
    return [m for m in mine if m not in notices], notices


def answered(h: Harness, parent: dict[str, Any]) -> bool:
    answers, notices = answers_and_notices(h, parent["ts"])
    return bool(answers) and not notices


def statuses(h: Harness, thread_ts: str | None = None) -> list[str]:
    """Statuses set, in order: in one thread, or anywhere."""
    calls = h.slack.calls_to("assistant.threads.setStatus")
    return [str(c.params.get("status")) for c in calls if thread_ts in (None, c.params.get("thread_ts"))]


async def mention_all(h: Harness, users: list[str]) -> list[dict[str, Any]]:
    """Everyone mentions the bot in C1 at the same moment, each in a new thread."""
    said = [h.slack.user_says(h.url, "C1", user, f"<@UBOT> question {n}") for n, user in enumerate(users)]
    return list(await asyncio.gather(*said))


async def test_one_person_has_three_answers_in_the_making_at_most_and_gets_all(make_harness: Any) -> None:
    h: Harness = await make_harness(max_replies_per_user=3)
    h.claude.ttft = 0.5
    parents = await mention_all(h, ["U1"] * 10)
    await h.wait_for_turns(10, timeout=60)
    assert all(answered(h, parent) for parent in parents)
    assert 1 < most_at_once(claude_calls(h)) <= 3
    waited = WAITING_STATUS[Verdict.WAIT_FOR_USER]
    assert waited in statuses(h)
    for parent in parents:
        shown = statuses(h, parent["ts"])
        if waited in shown:
            assert THINKING_STATUS in shown[shown.index(waited) :], "thinking again once its turn came"


async def test_the_process_runs_its_cap_of_turns_and_queues_the_rest(make_harness: Any) -> None:
    h: Harness = await make_harness(max_turns_in_flight=2)
    h.claude.ttft = 0.5
    parents = await mention_all(h, ["U1", "U2", "U3"] * 2)
    await h.wait_for_turns(6, timeout=60)
    assert all(answered(h, parent) for parent in parents)
    assert most_at_once(claude_calls(h)) == 2, "never more than two, and both used"
    assert WAITING_STATUS[Verdict.WAIT_FOR_PROCESS] in statuses(h)


async def test_a_flood_from_one_person_is_bounded_and_every_mention_hears_back(make_harness: Any) -> None:
    h: Harness = await make_harness(max_replies_per_user=3, max_queued_per_user=4)
    h.claude.ttft = 0.3
    parents = await mention_all(h, ["U1"] * 40)

    def heard_back() -> bool:
        return all(any(answers_and_notices(h, parent["ts"])) for parent in parents)

    await wait_until(heard_back, 60, "an answer or a notice in every thread")
    await h.wait_for_turns(7, timeout=30)
    turned_away = [p for p in parents if answers_and_notices(h, p["ts"])[1]]
    assert len(claude_calls(h)) == 7, "three at once and four queued; the rest never reach Claude"
    assert sum(answered(h, parent) for parent in parents) == 7
    assert len(turned_away) == 33
    for parent in turned_away:
        [notice] = answers_and_notices(h, parent["ts"])[1]
        assert notice["text"] == TURNED_AWAY[Verdict.USER_QUEUE_FULL]
    assert h.bot.runtime.services.admission.gate.queued == 0


async def test_shutdown_starts_no_queued_turn_and_tells_its_thread(make_harness: Any) -> None:
    h: Harness = await make_harness(
        max_turns_in_flight=1, shutdown_grace_seconds=0.2, monthly_token_budget=1_000_000
    )
    h.claude.tokens_per_second = 5
    h.claude.script("a long and slow answer " * 20)
    parents = await mention_all(h, ["U1", "U2", "U3"])
    services = h.bot.runtime.services
    await wait_until(
        lambda: services.admission.gate.queued == 2 and claude_calls(h), 10, "one turn, two queued"
    )

    await services.drain(0.2)
    assert len(claude_calls(h)) == 1, "a queued turn never starts once shutdown began"
    told = [answers_and_notices(h, p["ts"])[1] for p in parents]
    restarted = [n for notices in told for n in notices if n["text"] == TURNED_AWAY[Verdict.CLOSED]]
    assert len(restarted) == 2 and all("Retry" in str(n["blocks"]) for n in restarted)
    assert sum("restarted while answering" in n["text"] for notices in told for n in notices) == 1
    [row] = await h.wait_for_turns(1)
    assert row.error_kind == "stopped" and row.output_tokens > 0, "the interrupted answer is in the ledger"
    async with h.db.session() as session:
        left = (await session.execute(select(func.count()).select_from(TokenReservation))).scalar_one()
    assert left == 0, "its reservation was settled, not left to expire"

"""Slack's limits shared by replicas through PostgreSQL: the lease function and the gate."""

from __future__ import annotations

import asyncio
import functools

import pytest

from bot.core.rate_window import Limit
from bot.slack.shared_limits import SharedCalls
from bot.store import Database, slack_calls

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
KEY = "chat.update|T0TEAM|"


def replica(db: Database, name: str) -> SharedCalls:
    return SharedCalls(functools.partial(slack_calls.take, db), name)


async def passed_within(gates: list[asyncio.Task[None]], seconds: float) -> int:
    await asyncio.wait(gates, timeout=seconds)
    for gate in gates:
        gate.cancel()
    return sum(1 for gate in gates if gate.done() and not gate.cancelled() and gate.exception() is None)


async def test_two_replicas_together_get_no_more_than_the_limit(db: Database) -> None:
    limit = Limit(10, 60.0)
    a, b = replica(db, "a"), replica(db, "b")
    gates = [asyncio.create_task((a if i % 2 else b).pass_gate(KEY, limit, urgent=True)) for i in range(30)]
    assert await passed_within(gates, 1.5) == 10
    assert a.free(KEY, limit) <= 0 and b.free(KEY, limit) <= 0


async def test_progress_leaves_every_replicas_reserve_free(db: Database) -> None:
    limit = Limit(10, 60.0)
    a, b = replica(db, "a"), replica(db, "b")
    a.reserve(KEY, limit, 3)
    await asyncio.sleep(0.2)
    progress = [asyncio.create_task(b.pass_gate(KEY, limit, urgent=False)) for _ in range(10)]
    assert await passed_within(progress, 1.5) == 10 - 3 - 1, "the reserve and a margin stay free"
    urgent = [asyncio.create_task(a.pass_gate(KEY, limit, urgent=True)) for _ in range(5)]
    assert await passed_within(urgent, 1.5) == 4, "a final text may use them"


async def test_a_lease_counts_until_a_window_after_its_calls_may_be_made(db: Database) -> None:
    taken = await slack_calls.take(
        db,
        scope=KEY,
        replica="a",
        want=2,
        limit=5,
        window=60,
        use_within=5,
        progress=False,
        keep=0,
        reserve=0,
    )
    assert (taken.granted, taken.used) == (2, 2)
    assert 64 < taken.retry_in <= 65


async def test_an_unreachable_database_leaves_each_replica_its_own_budget(db: Database) -> None:
    async def down(**_: object) -> slack_calls.Taken:
        raise OSError("connection refused")

    gate = SharedCalls(down, "a")
    await asyncio.wait_for(gate.pass_gate(KEY, Limit(1, 60.0), urgent=True), 1)


async def test_claims_for_final_texts_never_exceed_the_limit_across_replicas(db: Database) -> None:
    """A reply decides how to be written by claiming the call its final text needs: of many
    replies deciding at once on two replicas, no more than the limit may count on one."""
    limit = Limit(10, 60.0)
    a, b = replica(db, "a"), replica(db, "b")
    claims = await asyncio.gather(*((a if i % 2 else b).claim(KEY, limit) for i in range(30)))
    assert sum(claims) == 10
    assert a.free(KEY, limit) <= 0 and b.free(KEY, limit) <= 0

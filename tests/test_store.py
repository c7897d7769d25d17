"""The store on SQLite and PostgreSQL: ledger sums, prompts, thread membership, claims."""

import asyncio
from datetime import timedelta

from sqlalchemy import event

from bot.store import Database, ledger, prompts, threads
from bot.store.models import UsageRecord, utcnow


def row(team: str, **tokens: int) -> UsageRecord:
    return UsageRecord(team_id=team, channel_id="C1", thread_ts="1.0", user_id="U1", model="m", **tokens)


async def test_usage_sums_per_team(db: Database) -> None:
    await ledger.record(db, row("T1", input_tokens=10, output_tokens=5, cache_read_input_tokens=100))
    await ledger.record(db, row("T1", input_tokens=1, output_tokens=2, cache_creation_input_tokens=7))
    await ledger.record(db, row("T2", input_tokens=3))
    usage = {u.team_id: u for u in await ledger.usage_by_team(db)}
    assert usage["T1"].requests == 2
    assert (usage["T1"].input_tokens, usage["T1"].output_tokens) == (11, 7)
    assert (usage["T1"].cache_creation_input_tokens, usage["T1"].cache_read_input_tokens) == (7, 100)
    assert usage["T1"].total_tokens == 125
    assert usage["T2"].requests == 1
    assert await ledger.usage_by_team(db, since=utcnow() + timedelta(days=1)) == []
    assert [u.team_id for u in await ledger.usage_by_team(db, team_id="T2")] == ["T2"]


async def test_channel_prompts_are_per_channel_and_record_who(db: Database) -> None:
    await prompts.put(db, team_id="T1", channel_id="C1", prompt="terse SRE", set_by="U1", enterprise_id=None)
    await prompts.put(db, team_id="T1", channel_id="C1", prompt="friendly", set_by="U2", enterprise_id="E1")
    current = await prompts.get(db, "T1", "C1")
    assert current is not None
    assert (current.prompt, current.set_by, current.enterprise_id) == ("friendly", "U2", "E1")
    assert await prompts.get(db, "T1", "C2") is None
    assert await prompts.get(db, "T2", "C1") is None
    assert await prompts.delete(db, "T1", "C1", changed_by="U1") is True
    assert await prompts.delete(db, "T1", "C1", changed_by="U1") is False


async def test_thread_membership(db: Database) -> None:
    assert not await threads.is_member(db, "T1", "C1", "1.0")
    await threads.join(db, "T1", "C1", "1.0")
    await threads.join(db, "T1", "C1", "1.0")
    assert await threads.is_member(db, "T1", "C1", "1.0")
    assert not await threads.is_member(db, "T2", "C1", "1.0")


async def test_claims_have_one_winner_even_from_two_engines(db: Database) -> None:
    other = Database(db.url)
    try:
        assert await threads.claim(db, "T1:C1:1.0")
        assert not await threads.claim(other, "T1:C1:1.0")
        assert await threads.claim(other, "T1:C1:2.0")
        assert await threads.prune_claims(db, older_than=timedelta(seconds=-1)) == 2
        assert await threads.claim(db, "T1:C1:1.0")
    finally:
        await other.close()


def message(key: str, thread_ts: str = "1.0") -> threads.MessageClaim:
    return threads.MessageClaim(key, "T1", "C1", thread_ts)


async def test_claiming_messages_in_one_statement_joins_the_winners_threads(db: Database) -> None:
    won = await threads.claim_messages(
        db, [message("T1:C1:1.0"), message("T1:C1:1.0"), message("T1:C1:2.0", thread_ts="2.0")]
    )
    assert won == {"T1:C1:1.0", "T1:C1:2.0"}
    assert await threads.claim_messages(db, [message("T1:C1:1.0"), message("T1:C1:3.0")]) == {"T1:C1:3.0"}
    assert await threads.is_member(db, "T1", "C1", "1.0") and await threads.is_member(db, "T1", "C1", "2.0")
    lost = await threads.claim_messages(db, [message("T1:C1:2.0", thread_ts="9.0")])
    assert lost == set() and not await threads.is_member(db, "T1", "C1", "9.0"), "a lost claim joins nothing"


async def test_a_burst_of_claims_shares_one_transaction_and_each_message_has_one_taker(db: Database) -> None:
    other = Database(db.url)
    commits = 0

    def count(_connection: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine.sync_engine, "commit", count)
    try:
        here, there = threads.MessageClaims(db), threads.MessageClaims(other)
        # Each message arrives twice here (app_mention and message) and once at another process.
        takes = [here.take(message(f"T1:C1:{n}.0", f"{n}.0")) for n in range(50) for _ in range(2)]
        takes += [there.take(message(f"T1:C1:{n}.0", f"{n}.0")) for n in range(50)]
        results = await asyncio.gather(*takes)
        for n in range(50):
            assert sum(results[2 * n : 2 * n + 2]) + results[100 + n] == 1, f"message {n}"
        assert commits <= 2, "claims that arrive together are written together"
        assert all([await threads.is_member(db, "T1", "C1", f"{n}.0") for n in range(50)])
    finally:
        event.remove(db.engine.sync_engine, "commit", count)
        await other.close()

"""The caps on turns at once, with plain data: per person, per process, the queue's order and its
bounds; and the asyncio side handing slots on when a waiter goes away."""

from __future__ import annotations

import asyncio

from bot.flows.admission import Admission, Caps, Gate, Verdict

GO, FOR_USER, FOR_PROCESS = Verdict.GO, Verdict.WAIT_FOR_USER, Verdict.WAIT_FOR_PROCESS


def gate(per_user: int = 2, in_flight: int = 4, queued_per_user: int = 3, queued: int = 10) -> Gate[str]:
    return Gate(Caps(per_user=per_user, in_flight=in_flight, queued_per_user=queued_per_user, queued=queued))


def test_one_person_gets_their_slots_and_waits_for_more() -> None:
    g = gate()
    assert [g.arrive(f"a{n}", "A") for n in range(5)] == [GO, GO, FOR_USER, FOR_USER, FOR_USER]
    assert g.arrive("a5", "A") is Verdict.USER_QUEUE_FULL, "a bounded queue per person"
    assert g.arrive("b0", "B") is GO, "someone else isn't held up by A's queue"
    assert g.leave("A") == [("a2", "A")]
    assert g.leave("A") == [("a3", "A")]
    assert (g.running, g.queued) == (3, 1)


def test_the_process_cap_queues_in_arrival_order() -> None:
    g = gate(per_user=1, in_flight=2)
    assert [g.arrive(t, u) for t, u in [("a", "A"), ("b", "B"), ("c", "C"), ("d", "D"), ("a2", "A")]] == [
        GO,
        GO,
        FOR_PROCESS,
        FOR_PROCESS,
        FOR_USER,
    ]
    assert g.leave("A") == [("c", "C")], "first come, first served; a2 waits for A's slot anyway"
    assert g.leave("C") == [("d", "D")]
    assert g.leave("B") == [("a2", "A")]
    assert g.arrive("e", "E") is FOR_PROCESS
    assert g.arrive("f", "F") is FOR_PROCESS


def test_a_waiter_whose_person_is_busy_lets_others_start_first() -> None:
    g = gate(per_user=1, in_flight=2)
    assert [g.arrive(t, u) for t, u in [("a", "A"), ("b", "B"), ("a2", "A"), ("c", "C")]] == [
        GO,
        GO,
        FOR_USER,
        FOR_PROCESS,
    ]
    assert g.leave("B") == [("c", "C")], "a2 is first in line but A still has an answer running"


def test_the_whole_queue_is_bounded_and_closes() -> None:
    g = gate(per_user=1, in_flight=1, queued_per_user=5, queued=3)
    assert [g.arrive(f"t{n}", f"U{n}") for n in range(5)] == [
        GO,
        FOR_PROCESS,
        FOR_PROCESS,
        FOR_PROCESS,
        Verdict.QUEUE_FULL,
    ]
    assert g.withdraw("t2") and not g.withdraw("t2")
    assert g.close() == ["t1", "t3"]
    assert g.leave("U0") == [] and (g.running, g.queued) == (0, 0)


async def test_a_cancelled_waiter_passes_its_slot_on() -> None:
    admission = Admission(Caps(per_user=1, in_flight=1, queued_per_user=5, queued=5))
    said: list[Verdict] = []
    ran: list[str] = []
    release = asyncio.Event()

    async def waiting(verdict: Verdict) -> None:
        said.append(verdict)

    async def turn(name: str, user: str) -> None:
        async with admission.turn(user, waiting) as verdict:
            if verdict is GO:
                ran.append(name)
                await release.wait()

    first = asyncio.create_task(turn("first", "A"))
    await asyncio.sleep(0)
    gone = asyncio.create_task(turn("gone", "B"))
    last = asyncio.create_task(turn("last", "C"))
    await asyncio.sleep(0.01)
    assert ran == ["first"] and said == [FOR_PROCESS, FOR_PROCESS]
    gone.cancel()
    release.set()
    await asyncio.wait_for(asyncio.gather(first, last, return_exceptions=True), 1)
    assert ran == ["first", "last"] and gone.cancelled()
    assert admission.gate.running == 0

    admission.close()
    async with admission.turn("A", waiting) as verdict:
        assert verdict is Verdict.CLOSED

"""The budget's reservation arithmetic, with plain numbers: who may start a call, and the bound that
holds however many start at once."""

from __future__ import annotations

import random

from bot.core.token_budget import Estimate, admits


def test_a_call_starts_while_its_prompt_fits_beside_spending_and_reservations() -> None:
    estimate = Estimate(prompt_tokens=100, max_tokens=4096)
    assert estimate.tokens == 4196
    assert admits(estimate, spent=0, reserved=0, limit=1_000), "a budget under max_tokens still answers"
    assert admits(estimate, spent=600, reserved=300, limit=1_000), "exactly at the limit"
    assert not admits(estimate, spent=600, reserved=301, limit=1_000)
    assert not admits(estimate, spent=0, reserved=4196, limit=1_000), "a call in flight holds its estimate"
    assert not admits(estimate, spent=1_000, reserved=0, limit=1_000)
    assert admits(estimate, spent=996_000, reserved=0, limit=1_000_000), "the last few thousand are usable"


def test_forty_calls_at_once_end_within_the_budget_plus_one_answer() -> None:
    """Reservations taken one after another (as the database serialises them), settled in any order
    with what each call really spent (at most its estimate): the month never ends more than one
    answer's max_tokens past the budget."""
    limit, max_tokens = 1_000, 300
    rng = random.Random(12)
    for _ in range(200):
        spent = 0
        in_flight: list[int] = []
        started = 0
        for _ in range(40):
            if in_flight and rng.random() < 0.3:  # a call finishes, sometimes before others start
                estimate_held = in_flight.pop(rng.randrange(len(in_flight)))
                spent += rng.randint(0, estimate_held)
            estimate = Estimate(prompt_tokens=rng.randint(20, 400), max_tokens=max_tokens)
            if admits(estimate, spent=spent, reserved=sum(in_flight), limit=limit):
                in_flight.append(estimate.tokens)
                started += 1
        spent += sum(rng.randint(0, held) for held in in_flight)
        assert spent <= limit + max_tokens
        assert started >= 1

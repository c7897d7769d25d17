"""Percentiles that treat a reply that never became visible as infinitely late.

Dropping such replies would make a run where half the answers never arrive look fast.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    if low == high or math.isinf(ordered[high]):
        return ordered[low] if position == low else ordered[high]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Iterable[float | None], qs: Sequence[int] = (50, 95, 99)) -> dict[str, float | None]:
    present = [math.inf if value is None else value for value in values]
    out: dict[str, float | None] = {f"p{q}": percentile(present, q) for q in qs}
    finite = [value for value in present if not math.isinf(value)]
    out["max"] = max(finite) if finite else None
    out["missing"] = float(len(present) - len(finite))
    return out

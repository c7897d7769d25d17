"""Keeping a request inside the model's context window. Pure.

Long threads keep their first message (it usually says what the thread is about) and their
most recent turns; the oldest turns in between give way, replaced by a visible marker.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CHARS_PER_TOKEN = 3.5
"""Conservative for English prose and code; `messages.count_tokens` settles it near the edge."""
IMAGE_TOKENS_MAX = 1_600
"""An image at the API's default resize target (≈ 1.15 MP / 750)."""
PDF_TOKENS_PER_BASE64_KB = 8

Message = dict[str, Any]


@dataclass(frozen=True)
class Trimmed:
    messages: list[Message]
    omitted: int
    """Turns left out; 0 when the thread fit."""


def estimate_tokens(system: str, messages: Sequence[Message]) -> int:
    total = len(system) / CHARS_PER_TOKEN
    for message in messages:
        total += 4
        content = message["content"]
        if isinstance(content, str):
            total += len(content) / CHARS_PER_TOKEN
            continue
        for block in content:
            total += _block_tokens(block)
    return math.ceil(total)


def _block_tokens(block: Message) -> float:
    kind = block.get("type")
    if kind == "text":
        return len(block["text"]) / CHARS_PER_TOKEN
    if kind == "image":
        return IMAGE_TOKENS_MAX
    source = block.get("source") or {}
    if source.get("type") == "text":
        return len(source.get("data", "")) / CHARS_PER_TOKEN
    return len(source.get("data", "")) / 1024 * PDF_TOKENS_PER_BASE64_KB


def trim_to_budget(system: str, messages: Sequence[Message], budget: int) -> Trimmed:
    """Drop whole user+assistant pairs after the first turn until the estimate fits `budget`.

    Pairs keep the turns alternating; the last user turn is never dropped.
    """
    kept = [dict(m) for m in messages]
    omitted = 0
    while estimate_tokens(system, kept) > budget and len(kept) > 3:
        del kept[1:3]
        omitted += 2
    if omitted:
        marker = {"type": "text", "text": f"[{omitted} earlier messages omitted]"}
        first = kept[0]["content"]
        kept[0] = {
            "role": "user",
            "content": [*first, marker]
            if isinstance(first, list)
            else [{"type": "text", "text": first}, marker],
        }
    return Trimmed(kept, omitted)

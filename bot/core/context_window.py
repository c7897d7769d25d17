"""Keeping a request inside the model's context window. Pure.

Long threads keep their first message (it usually says what the thread is about) and their
most recent turns; the oldest turns in between give way, replaced by a visible marker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.conversation import OMISSION_KEY

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
    """Slack messages left out (those never read included); 0 when the whole thread is there."""
    subset: list[Message]
    """The Slack messages `messages` was rendered from, the marker included."""
    tokens: int
    """The estimate `messages` was judged by, `extra` included."""

    @property
    def kept(self) -> list[Message]:
        """The Slack messages kept, without the marker."""
        return [message for message in self.subset if not message.get(OMISSION_KEY)]


def estimate_tokens(system: str, messages: Sequence[Message]) -> int:
    total = len(system) / CHARS_PER_TOKEN
    for message in messages:
        total += 4
        content = message["content"]
        if isinstance(content, str):
            total += len(content) / CHARS_PER_TOKEN
            continue
        for block in content:
            total += block_tokens(block)
    return math.ceil(total)


def block_tokens(block: Message) -> float:
    kind = block.get("type")
    if kind == "text":
        return len(block["text"]) / CHARS_PER_TOKEN
    if kind == "image":
        return IMAGE_TOKENS_MAX
    source = block.get("source") or {}
    if source.get("type") == "text":
        return len(source.get("data", "")) / CHARS_PER_TOKEN
    return len(source.get("data", "")) / 1024 * PDF_TOKENS_PER_BASE64_KB


def fit_thread(
    history: Sequence[Message],
    render: Callable[[list[Message]], list[Message]],
    system: str,
    budget: int,
    *,
    skipped: int = 0,
    extra: Callable[[Message], float] | None = None,
) -> Trimmed:
    """The thread rendered within `budget`: the first Slack message, a marker saying how many
    were left out, and as many of the latest as fit (the newest always stays).

    `render` turns Slack messages into Messages API turns; the cut is searched by bisection, so a
    1,000-message thread is rendered about ten times, not a thousand. `skipped` messages, never
    read, lie between the first message and the second; `extra` adds what a message will weigh
    beyond its rendering (its attachments, judged apart: their size doesn't tell).
    """
    weights = [extra(message) if extra else 0.0 for message in history]

    def attempt(count: int) -> Trimmed:
        if not count and not skipped:
            subset = list(history)
        else:
            marker = {
                "type": "message",
                "ts": history[0].get("ts"),
                OMISSION_KEY: True,
                "text": f"[{count + skipped} earlier messages omitted]",
            }
            subset = [history[0], marker, *history[1 + count :]]
        rendered = render(subset)
        weight = sum(weights[:1]) + sum(weights[1 + count :])
        return Trimmed(
            rendered, count + skipped, subset, math.ceil(estimate_tokens(system, rendered) + weight)
        )

    whole = attempt(0)
    if whole.tokens <= budget or len(history) <= 2:
        return whole
    low, high = 1, len(history) - 2
    while low < high:
        middle = (low + high) // 2
        if attempt(middle).tokens <= budget:
            high = middle
        else:
            low = middle + 1
    return attempt(low)

"""Cut a long answer into Slack-sized messages. Pure.

Cuts fall on a paragraph, then a line, then a word boundary, outside code blocks when
there is a choice; a code block longer than one message is closed at the cut and reopened
(with its language) in the next. A cut depends only on the text before it, so as an answer
grows, a message that is full never changes again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(```+|~~~+)(.*)$", re.MULTILINE)
_FENCE_ROOM = 8
"""Characters kept free at the end of a message to close a code block cut in two."""


@dataclass(frozen=True)
class _Block:
    start: int
    end: int  # past the closing fence, or past the text when still open
    fence: str
    info: str
    body_start: int


@dataclass(frozen=True)
class Cut:
    """Where a too-long text ends its message."""

    consumed: int
    """Characters of the text that go into this message."""
    closing: str = ""
    """Appended to this message: closes a code block cut in two."""
    reopen: str = ""
    """Prepended to the rest: reopens that code block, with its language."""


def cut_once(text: str, limit: int, *, not_before: int = 0) -> Cut | None:
    """The first cut of `text`, or None when it fits in one message.

    `not_before` keeps the cut at or after that many characters, for a message whose start
    was already streamed to Slack and cannot be taken back.
    """
    if limit <= _FENCE_ROOM * 4:
        raise ValueError("limit too small to split code blocks")
    if len(text) <= limit:
        return None
    window = limit - _FENCE_ROOM
    floor = min(max(not_before, 1), window)
    blocks = _code_blocks(text[: limit + 1])
    cut = _boundary(text, floor, window, blocks)
    if cut is not None:
        return Cut(cut)
    block = next((b for b in blocks if b.start < window < b.end), None)
    if block is None:
        return Cut(window)
    newline = text.rfind("\n", max(block.body_start, floor - 1), window)
    cut = newline + 1 if newline >= block.body_start and newline + 1 >= floor else window
    closing = ("" if text[:cut].endswith("\n") else "\n") + block.fence
    return Cut(cut, closing, f"{block.fence}{block.info}\n")


def _boundary(text: str, floor: int, window: int, blocks: list[_Block]) -> int | None:
    for separator in ("\n\n", "\n", " "):
        position = text.rfind(separator, 1, window - len(separator) + 1)
        while position > 0 and position + len(separator) >= floor:
            if not any(b.start <= position < b.end for b in blocks):
                return position + len(separator)
            position = text.rfind(separator, 1, position)
    return None


def _code_blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    opened: re.Match[str] | None = None
    for fence in _FENCE.finditer(text):
        if opened is None:
            opened = fence
        elif fence.group(1)[0] == opened.group(1)[0] and len(fence.group(1)) >= len(opened.group(1)):
            blocks.append(_block(opened, fence.end()))
            opened = None
    if opened is not None:
        blocks.append(_block(opened, len(text) + 1))
    return blocks


def _block(opening: re.Match[str], end: int) -> _Block:
    return _Block(opening.start(), end, opening.group(1), opening.group(2).strip(), opening.end() + 1)

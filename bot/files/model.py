"""The shapes every step of the file path agrees on: the limits it works within, and what a
Slack file became once prepared for Claude."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.context_window import block_tokens

ContentBlock = dict[str, Any]
SlackFile = Mapping[str, Any]

MIB = 1024 * 1024

Kind = Literal["image", "pdf", "text", "skipped", "unavailable"]
"""`skipped`: the bytes were read and can't be used, which holds for as long as the file does.
`unavailable`: the bytes couldn't be had this time (network, permissions), so nothing is cached."""

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")
NAME_MAX_CHARS = 120


@dataclass(frozen=True)
class FileLimits:
    """The API's published limits and the bot's own safety margins, in one place so settings
    can change them and tests can shrink them."""

    max_download_bytes: int = 30 * MIB
    download_timeout_seconds: float = 20.0
    image_max_edge: int = 1568
    """Long edge images are scaled to: beyond it the API downscales anyway, at our bytes' cost."""
    image_max_pixels: int = 1_150_000
    image_max_bytes: int = 5 * MIB
    """The API's cap, checked on the base64 text, so the encoded file must be 3/4 of it."""
    image_max_source_pixels: int = 50_000_000
    """Largest image decoded (after JPEG's cheap draft scaling): a 48 MP phone photo fits, a
    pixel bomb doesn't."""
    many_images: int = 20
    many_images_edge: int = 2000
    max_images: int = 100
    pdf_max_bytes: int = 20 * MIB
    """Base64 makes a PDF a third bigger, and the whole request must stay under 32 MB."""
    pdf_max_pages: int = 100
    text_max_chars: int = 100_000
    attachments_max_bytes: int = 28 * MIB
    """The attachments' share of the API's 32 MB request; the rest is for the thread's text."""

    @property
    def image_max_encoded_bytes(self) -> int:
        return self.image_max_bytes * 3 // 4


@dataclass(frozen=True)
class Prepared:
    """What one Slack file became: content blocks for its user turn and, when the user should
    know that something was left out or changed, a short note saying so."""

    file_id: str
    name: str
    kind: Kind
    blocks: tuple[ContentBlock, ...]
    note: str | None = None
    size: int = 0
    """What the blocks weigh in the request body (JSON), for the request and cache budgets."""
    tokens: float = 0.0
    """What the blocks will take of Claude's context, estimated."""

    @classmethod
    def of(
        cls,
        file_id: str,
        name: str,
        kind: Kind,
        blocks: tuple[ContentBlock, ...],
        note: str | None = None,
        tokens: float | None = None,
    ) -> Prepared:
        """`tokens` when the blocks' content doesn't tell (a PDF's pages); else estimated from it."""
        estimate = sum(block_tokens(block) for block in blocks) if tokens is None else tokens
        return cls(file_id, name, kind, blocks, note, request_weight(blocks), estimate)


def request_weight(blocks: tuple[ContentBlock, ...]) -> int:
    """The blocks' size as JSON. Base64 needs no escaping, so its length is added rather than
    serialised: copying a 20 MB PDF's text only to measure it would double its memory."""
    total = 0
    for block in blocks:
        source = block.get("source")
        if isinstance(source, dict) and source.get("type") == "base64":
            total += len(json.dumps({**block, "source": {**source, "data": ""}})) + len(source["data"])
        else:
            total += len(json.dumps(block))
    return total + 2 * len(blocks)


def placeholder(name: str, why: str = "not readable") -> ContentBlock:
    """Tells Claude a file was there, so it neither ignores the mention nor invents the content."""
    return {"type": "text", "text": f"[attachment {name}: {why}]"}


def left_out(file_id: str, name: str, kind: Kind, note: str | None, why: str = "not readable") -> Prepared:
    return Prepared.of(file_id, name, kind, (placeholder(name, why),), note)


def display_name(file: SlackFile) -> str:
    """A name fit to quote to Claude and to people: one line, bounded. Snippets are named by
    their title, since Slack names them after their language ("-.py")."""
    raw = file.get("title") if file.get("mode") == "snippet" else None
    raw = raw or file.get("name") or file.get("title") or file.get("id") or "file"
    name = _UNPRINTABLE.sub(" ", str(raw)).strip() or "file"
    return name if len(name) <= NAME_MAX_CHARS else name[: NAME_MAX_CHARS - 1] + "…"


def megabytes(size: int) -> str:
    return f"{size / MIB:.0f} MB" if size >= 10 * MIB else f"{size / MIB:.1f} MB"


def pdf_too_large(size: int, limits: FileLimits) -> str:
    return f"the PDF is too large ({megabytes(size)}; the limit is {megabytes(limits.pdf_max_bytes)})"

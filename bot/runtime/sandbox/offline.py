"""The offline stand-in for Claude: it describes what it was sent, so the page shows what the bot
would give Claude (the newest message, its attachments, the channel's instructions), and it
never lets anyone mistake it for a real answer."""

from __future__ import annotations

import base64
import contextlib
import functools
import io
from collections.abc import AsyncIterator
from typing import Any

from PIL import Image

from bot.fakes.claude import FakeClaude
from bot.runtime.sandbox.canned_pages import plan

LABEL = "(offline sandbox model)"
INSTRUCTIONS_SHOWN = 200
"""Characters of the system prompt's end quoted back: where a channel's own prompt sits."""


@contextlib.asynccontextmanager
async def offline_claude(tokens_per_second: float) -> AsyncIterator[FakeClaude]:
    """A fake Messages API answering at a readable pace, so the page shows the answer grow."""
    async with FakeClaude(ttft=0.4, tokens_per_second=tokens_per_second) as claude:
        claude.responder = answer
        claude.planner = functools.partial(plan, write=answer)
        yield claude


def answer(body: dict[str, Any]) -> str:
    """The reply to one Messages API request, in Markdown."""
    messages = body["messages"]
    blocks = _blocks(messages[-1]["content"])
    said = "\n".join(block["text"] for block in blocks if block.get("type") == "text")
    turns = sum(1 for message in messages if message["role"] == "user")
    lines = [
        f"_{LABEL}_ No `ANTHROPIC_API_KEY` is set, so this answer was written on this machine, "
        "not by Claude.",
        "",
        "**You said:**",
        *(f"> {line}" for line in said.splitlines() or [""]),
        "",
    ]
    lines.extend(_attachments(blocks))
    lines.extend(
        [
            f"- This thread has {turns} user {'turn' if turns == 1 else 'turns'} so far.",
            "- The system prompt ends with:",
            "",
            f"> {_tail(_system_text(body.get('system')))}",
            "",
            "```text",
            f"model: {body['model']}, max_tokens: {body['max_tokens']}",
            "```",
        ]
    )
    return "\n".join(lines)


def _blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def _attachments(blocks: list[dict[str, Any]]) -> list[str]:
    images = [_describe_image(block) for block in blocks if block.get("type") == "image"]
    documents = [_describe_document(block) for block in blocks if block.get("type") == "document"]
    lines = []
    if images:
        lines.append(f"I see {_count(len(images), 'image')} ({'; '.join(images)}).")
    if documents:
        lines.append(f"I see {_count(len(documents), 'document')} ({'; '.join(documents)}).")
    return [*lines, ""] if lines else []


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _describe_image(block: dict[str, Any]) -> str:
    """The fake API has already checked the data, so it opens."""
    with Image.open(io.BytesIO(base64.b64decode(block["source"]["data"]))) as image:
        return f"{image.format}, {image.width}×{image.height}"


def _describe_document(block: dict[str, Any]) -> str:
    source = block["source"]
    title = block.get("title") or "untitled"
    if source["type"] == "text":
        return f"{title}: text, {len(source['data']):,} characters"
    return f"{title}: PDF, {len(base64.b64decode(source['data'])):,} bytes"


def _system_text(system: str | list[dict[str, Any]] | None) -> str:
    if isinstance(system, list):
        return "\n\n".join(block["text"] for block in system)
    return system or ""


def _tail(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= INSTRUCTIONS_SHOWN else "…" + flat[-INSTRUCTIONS_SHOWN:]

"""Parsing `/claude …` and the words it answers with. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MAX_PROMPT_CHARS = 8_000

HELP = (
    "*Claude in Slack*\n"
    "• Mention me (`@Claude …`) in a channel and I answer in a thread. Reply in that thread "
    "and I keep going — no need to mention me again. The thread is the conversation.\n"
    "• DM me: every message gets an answer in its thread.\n"
    "• `/claude prompt <text>` — set this channel's instructions (its system prompt).\n"
    "• `/claude prompt` — show them. `/claude prompt reset` — remove them.\n"
    "• `/claude usage` — tokens this workspace has used.\n"
    "• `/claude help` — this message."
)


@dataclass(frozen=True)
class Command:
    kind: Literal["help", "prompt_show", "prompt_set", "prompt_reset", "usage"]
    text: str = ""


def parse(text: str) -> Command:
    words = text.strip()
    head, _, rest = words.partition(" ")
    head, rest = head.lower(), rest.strip()
    if head == "prompt":
        if not rest:
            return Command("prompt_show")
        if rest.lower() in {"reset", "clear", "remove"}:
            return Command("prompt_reset")
        return Command("prompt_set", rest)
    if head == "usage" and not rest:
        return Command("usage")
    return Command("help")

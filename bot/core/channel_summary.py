"""`/claude summarize [#channel] [since]`: what was asked, the channel's messages as lines, and
the parts a long history is condensed in. Pure: the reading and the calls are
`bot.flows.channel_summary`'s.

A history longer than one part of the context window is condensed part by part into notes (one
Claude call each), and the summary is written from the notes; a short one is summarized at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.conversation import ANSWERED_SUBTYPES, slack_to_plain, speaker_name

DEFAULT_SINCE = timedelta(hours=24)
LONGEST_SINCE = timedelta(days=30)
LINE_CHARS = 2_000
"""Characters taken from each message."""

_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$|^([CG][A-Z0-9]{8,})$")
_SPAN = re.compile(r"^(\d{1,4})\s*(m|min|h|d|w)$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
USAGE = (
    "Say `/claude summarize` for this channel's last 24 hours, or name a channel and a time: "
    "`/claude summarize #general 3d`, `/claude summarize 12h`, `/claude summarize 2026-11-30`."
)

CONDENSE_SYSTEM = (
    "You condense one part of a Slack channel's history into faithful notes for a later summary: "
    "topics, decisions, questions still open, who owns what, dates. Keep names. No preamble."
)
CONDENSE_QUESTION = "Condense part {part} of {parts} of the messages below into notes."
FINAL_QUESTION = (
    "Summarize what happened in <#{channel}> since {since} from the {what} below: the main "
    "topics, decisions, questions still open and who does what next. Keep it short, in bullets."
)


@dataclass(frozen=True)
class SummaryAsk:
    channel_id: str
    since: datetime


def parse_args(text: str, *, here: str, here_name: str, now: datetime) -> SummaryAsk | str:
    """The channel (`<#C…|name>`, an id, or this channel's own `#name`) and the time (`12h`,
    `3d`, `2w`, `90m` or a date); the defaults are this channel and the last 24 hours. A string:
    what to tell the person instead."""
    channel, since = here, now - DEFAULT_SINCE
    for word in text.split()[:3]:
        match = _CHANNEL.match(word)
        span = _SPAN.match(word)
        if match:
            channel = match.group(1) or match.group(2)
        elif word.startswith("#"):
            if word[1:].lower() != here_name.lower():
                return (
                    f"I can't tell which channel `{word}` is from its name: run `/claude summarize` "
                    "in that channel, or pick it from the list as you type `#`."
                )
        elif span:
            since = now - timedelta(seconds=int(span.group(1)) * _UNITS[span.group(2).lower()])
        else:
            try:
                since = datetime.strptime(word, "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                return USAGE
    if since < now - LONGEST_SINCE:
        since = now - LONGEST_SINCE
    return SummaryAsk(channel, since)


def history_lines(
    messages: Sequence[Mapping[str, Any]], *, names: Mapping[str, str], bot_user_id: str
) -> list[str]:
    """Newest-first history as lines, oldest first: time, speaker, text, and the size of a thread."""
    lines = []
    for message in reversed(messages):
        if message.get("subtype") not in ANSWERED_SUBTYPES:
            continue
        text = slack_to_plain(str(message.get("text") or ""), names=names, bot_user_id=bot_user_id)
        text = text[:LINE_CHARS] + (" …(cut)" if len(text) > LINE_CHARS else "")
        when = datetime.fromtimestamp(float(message.get("ts") or 0), UTC).strftime("%Y-%m-%d %H:%M")
        replies = int(message.get("reply_count") or 0)
        thread = f" ({replies} replies in its thread)" if replies else ""
        lines.append(f"[{when}] {speaker_name(message, names)}: {text or '(no text)'}{thread}")
    return lines


def parts(lines: Sequence[str], max_chars: int) -> list[list[str]]:
    """Consecutive lines in parts of at most `max_chars` each (a longer line is a part alone)."""
    out: list[list[str]] = []
    size = 0
    for line in lines:
        if not out or size + len(line) + 1 > max_chars:
            out.append([])
            size = 0
        out[-1].append(line)
        size += len(line) + 1
    return out


def progress(part: int, total: int, channel_name: str) -> str:
    return f"is reading #{channel_name}: part {part} of {total}…"


def describe_since(since: datetime) -> str:
    return since.strftime("%Y-%m-%d %H:%M UTC")

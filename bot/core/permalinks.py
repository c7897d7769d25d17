"""Slack message links in a question: finding them, and what Claude and the asker are told of
them. Pure: the reading (and the access check before it) is `bot.slack.linked`'s.

Someone pastes a message's "Copy link" address into a question; the message (or its thread) then
comes along as context, when the asker can see that conversation. What is found here is bounded
before anything is read: at most `MAX_LINKS` links per question, the rest listed as not read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.core.conversation import ANSWERED_SUBTYPES, slack_to_plain, speaker_name

MAX_LINKS = 3
"""Links followed per question; more are named in the footer as not read."""
MESSAGES_PER_LINK = 50
"""Messages one pasted link may bring: its thread's first message and the newest replies."""
SHORTCUT_MESSAGES = 1_000
"""Messages the thread a shortcut is about may bring (Summarize thread reads all of most threads),
within half the context window."""
MESSAGE_CHARS = 4_000
"""Characters taken from each linked message (Slack allows 40,000)."""

_PERMALINK = re.compile(
    r"https://(?:[a-z0-9-]+\.)*(?:slack\.com|slack-gov\.com)/archives/"
    r"(?P<channel>[CDG][A-Z0-9]{1,20})/p(?P<seconds>\d{10})(?P<micros>\d{6})(?P<query>\?[^\s|>]*)?",
    re.IGNORECASE,
)
_THREAD_TS = re.compile(r"(?:^|[?&;])thread_ts=(\d{10}\.\d{6})")
_THREAD_WORD = re.compile(r"\bthreads?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Permalink:
    url: str
    channel_id: str
    ts: str
    thread_ts: str | None
    """The thread the message is a reply in, when the link says so (`?thread_ts=`)."""

    @property
    def root(self) -> str:
        return self.thread_ts or self.ts


@dataclass(frozen=True)
class Found:
    links: list[Permalink]
    """The links to follow, in the order they appear, at most `MAX_LINKS`."""
    beyond: list[Permalink]
    """Further links, not followed."""
    thread: bool
    """Whether the question is about the linked messages' threads, not only the messages."""


class Outcome(Enum):
    READ = "read"
    HIDDEN = "hidden"
    """The asker can't see the conversation (or the bot can't): said the same way either way, so
    the answer tells nothing about a conversation the asker isn't in."""
    GONE = "gone"
    UNAVAILABLE = "unavailable"
    BEYOND = "beyond"


@dataclass(frozen=True)
class LinkRead:
    link: Permalink
    outcome: Outcome
    messages: list[dict[str, Any]]
    """What Claude gets of it (empty unless READ), oldest first."""
    more: int = 0
    """Messages of the thread left out (beyond `MESSAGES_PER_LINK`, or what the reads reached)."""


def find_links(text: str) -> Found:
    """Message links in a question, each once.

    The rule for threads: a question that says "thread" ("summarize this thread", "what did the
    thread decide?") gets each linked message's whole thread (bounded); any other question gets
    the linked message alone.
    """
    seen: dict[tuple[str, str], Permalink] = {}
    for match in _PERMALINK.finditer(text.replace("&amp;", "&")):
        ts = f"{match['seconds']}.{match['micros']}"
        query = match["query"] or ""
        thread = _THREAD_TS.search(query)
        thread_ts = thread.group(1) if thread and thread.group(1) != ts else None
        link = Permalink(match.group(0), match["channel"].upper(), ts, thread_ts)
        seen.setdefault((link.channel_id, link.ts), link)
    links = list(seen.values())
    about_thread = bool(_THREAD_WORD.search(_PERMALINK.sub(" ", text)))
    return Found(links[:MAX_LINKS], links[MAX_LINKS:], about_thread)


def linked_context(
    reads: Sequence[LinkRead], *, names: Mapping[str, str], bot_user_id: str, max_chars: int
) -> list[dict[str, Any]]:
    """Text blocks for Claude, one per link that was read, following the question. Anything that
    wasn't read contributes nothing: not its channel, not its author.

    Together they hold at most about `max_chars`, shared between the links: each keeps its first
    message and as many of its newest as its share holds."""
    read = [r for r in reads if r.outcome is Outcome.READ]
    share = max_chars // max(1, len(read))
    blocks: list[dict[str, Any]] = []
    for number, read_link in enumerate(reads, start=1):
        if read_link.outcome is not Outcome.READ:
            continue
        lines = [
            f"{_speaker(message, names, bot_user_id)}: {_text(message, names, bot_user_id)}"
            for message in read_link.messages
            if message.get("subtype") in ANSWERED_SUBTYPES
        ]
        kept = _within(lines, share)
        left_out = read_link.more + len(lines) - len(kept)
        if left_out:
            kept.insert(1, f"({left_out} replies in between left out)")
        body = "\n".join(kept) or "(no text)"
        blocks.append(
            {
                "type": "text",
                "text": f'<slack_link number="{number}" url="{read_link.link.url}">\n{body}\n</slack_link>',
            }
        )
    return blocks


def footer(reads: Sequence[LinkRead], about: Permalink | None = None) -> str | None:
    """Which links were read and which were not, and why in words that reveal nothing of what an
    unread one holds. None when the question had no links. The message a shortcut's conversation
    is about is named only when it could not be read."""
    lines = []
    pasted = [read for read in reads if read.link != about]
    for read in reads:
        number = pasted.index(read) + 1 if read in pasted else 0
        if read.link == about:
            if read.outcome is not Outcome.READ:
                lines.append(f"• the message this conversation is about: not read, {_REASONS[read.outcome]}")
        elif read.outcome is Outcome.READ:
            count = len(read.messages) + read.more
            what = "its thread" if count > 1 else "the message"
            lines.append(f"• link {number} (<#{read.link.channel_id}>): read {what}")
        else:
            lines.append(f"• link {number}: not read, {_REASONS[read.outcome]}")
    if not lines:
        return None
    return "🔗 Slack links in your question:\n" + "\n".join(lines)


_REASONS = {
    Outcome.HIDDEN: "it isn't in a conversation both you and I can see",
    Outcome.GONE: "that message no longer exists",
    Outcome.UNAVAILABLE: "Slack couldn't be asked just now",
    Outcome.BEYOND: f"I follow at most {MAX_LINKS} links per question",
}


def _within(lines: list[str], chars: int) -> list[str]:
    """The first line and the newest that fit in `chars` (the first always, cut to fit)."""
    if not lines:
        return []
    first = lines[0][:chars]
    room = chars - len(first)
    newest: list[str] = []
    for line in reversed(lines[1:]):
        if len(line) + 1 > room:
            break
        newest.append(line)
        room -= len(line) + 1
    return [first, *reversed(newest)]


def _speaker(message: Mapping[str, Any], names: Mapping[str, str], bot_user_id: str) -> str:
    """Claude's own messages elsewhere are its own: it needs no name looked up for them."""
    return "You (Claude)" if message.get("user") == bot_user_id else speaker_name(message, names)


def _text(message: Mapping[str, Any], names: Mapping[str, str], bot_user_id: str) -> str:
    text = slack_to_plain(str(message.get("text") or ""), names=names, bot_user_id=bot_user_id)
    if len(text) > MESSAGE_CHARS:
        text = text[:MESSAGE_CHARS] + " …(cut)"
    return text or "(no text)"


ABOUT_EVENT_TYPE = "claude_about_message"
"""Metadata on the first message of a private conversation a shortcut opened: the message (and
thread) it is about, read again on every turn there, with the same access check as a link."""


def about_metadata(link: Permalink) -> dict[str, Any]:
    payload = {"url": link.url, "channel": link.channel_id, "ts": link.ts, "thread_ts": link.thread_ts or ""}
    return {"event_type": ABOUT_EVENT_TYPE, "event_payload": payload}


def about_link(message: Mapping[str, Any]) -> Permalink | None:
    """The message a conversation is about, from its first message's metadata (the caller makes
    sure the bot wrote it: nobody else can put metadata on the bot's messages)."""
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != ABOUT_EVENT_TYPE:
        return None
    payload = metadata.get("event_payload") or {}
    channel, ts = str(payload.get("channel") or ""), str(payload.get("ts") or "")
    if not channel or not ts:
        return None
    return Permalink(str(payload.get("url") or ""), channel, ts, str(payload.get("thread_ts") or "") or None)


def question_of(
    history: Sequence[Mapping[str, Any]], trigger: Mapping[str, Any] | None, user_id: str | None
) -> Mapping[str, Any] | None:
    """The message being answered: the one that started the turn, else the asker's newest."""
    if trigger is not None:
        return trigger
    return next((m for m in reversed(history) if user_id and m.get("user") == user_id), None)


def with_about(found: Found, about: Permalink | None) -> Found:
    """A shortcut's message comes first, with its thread, ahead of the question's own links."""
    if about is None:
        return found
    others = [link for link in found.links if (link.channel_id, link.ts) != (about.channel_id, about.ts)]
    links = [about, *others]
    return Found(links[:MAX_LINKS], [*links[MAX_LINKS:], *found.beyond], True)

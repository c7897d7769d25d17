"""Slack thread → Messages API `messages`. Pure: no Slack client, no network.

The thread is the conversation: the bot's own messages are `assistant` turns, everyone
else's are `user` turns prefixed with the speaker's name so Claude can tell people apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NOTICE_EVENT_TYPE = "claude_bot_notice"
"""Message metadata type marking the bot's own notices (errors, "stopped", …): never context."""

ANSWERED_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "bot_message", "me_message"})
"""Message subtypes that carry something someone said; joins, tombstones etc. are left out."""

EMPTY_TEXT = "(no text)"
OMISSION_KEY = "omitted_marker"
"""A stand-in for messages left out of a long thread; rendered as a bare user-side note."""

_MENTION = re.compile(r"<([@#!])([^|>]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_ESCAPED_MARKUP = re.compile(r"&lt;(?:[@#!]|[a-z][a-z0-9+.-]*://|mailto:)[^\n]*?&gt;", re.IGNORECASE)
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_TEXT = {"amp": "&", "lt": "<", "gt": ">"}

SlackMessage = Mapping[str, Any]
ContentBlock = dict[str, Any]
MessageParam = dict[str, Any]


@dataclass(frozen=True)
class BotIdentity:
    """Who "the bot" is in this workspace, from `auth.test` (Bolt's context has both)."""

    user_id: str
    bot_id: str | None = None

    def wrote(self, message: SlackMessage) -> bool:
        if self.bot_id and message.get("bot_id") == self.bot_id:
            return True
        return message.get("user") == self.user_id


def is_notice(message: SlackMessage) -> bool:
    metadata = message.get("metadata")
    return isinstance(metadata, Mapping) and metadata.get("event_type") == NOTICE_EVENT_TYPE


def people_to_name(messages: Sequence[SlackMessage], *, bot: BotIdentity) -> list[str]:
    """Every user id a thread needs a name for, most needed first: the speakers, newest first
    (each turn is labelled with one), then the people mentioned, newest first. When only some
    can be looked up, the rest still read as the label Slack gave them, or their id. The bot's
    own mentions are dropped from the text, so it needs no name."""
    speakers: dict[str, None] = {}
    mentioned: dict[str, None] = {}
    for message in reversed(messages):
        if message.get("user") and not message.get("bot_id"):
            speakers.setdefault(str(message["user"]))
        for kind, ident, _label in _MENTION.findall(str(message.get("text") or "")):
            if kind == "@":
                mentioned.setdefault(ident)
    mentioned.pop(bot.user_id, None)
    return list(dict.fromkeys([*speakers, *mentioned]))


def slack_to_plain(text: str, *, names: Mapping[str, str], bot_user_id: str) -> str:
    """Turn Slack's wire markup into what a reader sees: names, not `<@U…>` codes."""

    def link(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2)
        if url.startswith("mailto:"):
            return label or url.removeprefix("mailto:")
        return f"[{label}]({url})" if label and label != url else url

    def mention(match: re.Match[str]) -> str:
        kind, ident, label = match.groups()
        if kind == "@":
            if ident == bot_user_id:
                return ""
            return "@" + (names.get(ident) or label or ident)
        if kind == "#":
            return "#" + (label or ident)
        special = ident.split("^", 1)
        if special[0] in {"here", "channel", "everyone"}:
            return "@" + special[0]
        return label or ident

    text = _LINK.sub(link, text)
    text = _MENTION.sub(mention, text)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return _unescape(text)


def _unescape(text: str) -> str:
    """Slack escapes `&`, `<` and `>` and nothing else, so those three are decoded, once. What
    someone typed that reads as Slack's own syntax (`<!channel>`, `<@U…>`, `<https://…|…>`) stays
    escaped: text anyone can write never turns into markup on its way through Claude."""
    pieces, last = [], 0
    for markup in _ESCAPED_MARKUP.finditer(text):
        pieces += [_decode(text[last : markup.start()]), markup.group()]
        last = markup.end()
    return "".join(pieces) + _decode(text[last:])


def _decode(text: str) -> str:
    return _ENTITY.sub(lambda entity: _ENTITY_TEXT[entity.group(1)], text)


def speaker_name(message: SlackMessage, names: Mapping[str, str]) -> str:
    if message.get("bot_id") and not message.get("user"):
        profile = message.get("bot_profile") or {}
        return str(message.get("username") or profile.get("name") or "a bot")
    user = str(message.get("user") or "")
    return names.get(user) or user or "someone"


def build_messages(
    thread: Sequence[SlackMessage],
    *,
    bot: BotIdentity,
    names: Mapping[str, str],
    attachments: Mapping[str, Sequence[ContentBlock]] | None = None,
) -> list[MessageParam]:
    """Alternating user/assistant turns, starting and ending with a user turn.

    `attachments` maps a message's `ts` to content blocks (images, documents) prepared for
    it; they follow that message's text inside its turn.
    """
    turns: list[MessageParam] = []
    for message in thread:
        if message.get(OMISSION_KEY):
            _append(turns, "user", [{"type": "text", "text": str(message["text"])}])
            continue
        if message.get("subtype") not in ANSWERED_SUBTYPES or is_notice(message):
            continue
        text = slack_to_plain(str(message.get("text") or ""), names=names, bot_user_id=bot.user_id)
        if bot.wrote(message):
            if text:
                _append(turns, "assistant", [{"type": "text", "text": text}])
            continue
        extra = list((attachments or {}).get(str(message.get("ts")), ()))
        body = text or ("" if extra else EMPTY_TEXT)
        blocks = [{"type": "text", "text": f"{speaker_name(message, names)}: {body}".rstrip()}]
        _append(turns, "user", blocks + extra)

    if turns and turns[0]["role"] == "assistant":
        earlier = "\n\n".join(block["text"] for block in turns[0]["content"])
        turns[0] = {
            "role": "user",
            "content": [{"type": "text", "text": f"(Your earlier message)\n{earlier}"}],
        }
        _merge_leading_users(turns)
    while turns and turns[-1]["role"] == "assistant":
        turns.pop()
    return turns


def _append(turns: list[MessageParam], role: str, blocks: list[ContentBlock]) -> None:
    if turns and turns[-1]["role"] == role:
        previous = turns[-1]["content"]
        if role == "assistant":
            previous[-1]["text"] += "\n\n" + blocks[0]["text"]
        else:
            previous.extend(blocks)
        return
    turns.append({"role": role, "content": blocks})


def _merge_leading_users(turns: list[MessageParam]) -> None:
    if len(turns) > 1 and turns[1]["role"] == "user":
        turns[0]["content"].extend(turns.pop(1)["content"])

"""What a turn takes from Slack links: the messages its question links to, and the message a
shortcut's private conversation is about, each read only where the asker can see it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.context_window import CHARS_PER_TOKEN
from bot.core.conversation import BotIdentity
from bot.core.permalinks import (
    LinkRead,
    Permalink,
    about_link,
    find_links,
    footer,
    linked_context,
    question_of,
    with_about,
)
from bot.slack.linked import read_links
from bot.slack.users import UserDirectory

Blocks = Mapping[str, Sequence[dict[str, Any]]]

CONTEXT_SHARE = 4
"""Linked messages take at most a quarter of the context budget; the thread itself keeps the rest."""
SHORTCUT_SHARE = 2
"""In a shortcut's conversation the thread it is about is the point: half the context budget."""


@dataclass(frozen=True)
class TurnLinks:
    question_ts: str | None = None
    reads: list[LinkRead] = field(default_factory=list)
    about: Permalink | None = None
    tokens: int = 0
    """What the linked messages may take of the request."""

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [message for read in self.reads for message in read.messages]

    def blocks(self, *, names: Mapping[str, str], bot: BotIdentity) -> Blocks:
        """The linked messages as content following the question's text, by the question's ts."""
        if self.question_ts is None:
            return {}
        max_chars = int(self.tokens * CHARS_PER_TOKEN)
        blocks = linked_context(self.reads, names=names, bot_user_id=bot.user_id, max_chars=max_chars)
        return {self.question_ts: blocks} if blocks else {}

    @property
    def note(self) -> str | None:
        return footer(self.reads, self.about)


async def links_for_turn(
    client: AsyncWebClient,
    users: UserDirectory,
    bot: BotIdentity,
    *,
    team_id: str,
    asker: str | None,
    history: Sequence[Mapping[str, Any]],
    trigger: Mapping[str, Any] | None,
    budget: int,
) -> TurnLinks:
    """No links and no shortcut: no call at all."""
    question = question_of(history, trigger, asker)
    root = history[0] if history else None
    about = about_link(root) if root is not None and bot.wrote(root) else None
    found = with_about(find_links(str((question or {}).get("text") or "")), about)
    if not found.links and not found.beyond:
        return TurnLinks()
    tokens = budget // (CONTEXT_SHARE if about is None else SHORTCUT_SHARE)
    reads = await read_links(
        client, users, team_id=team_id, asker=asker, found=found, tokens=tokens, about=about
    )
    ts = str(question["ts"]) if question is not None and question.get("ts") else None
    return TurnLinks(ts, reads, about, tokens)


def merged(files: Blocks | None, linked: Blocks | None) -> Blocks | None:
    """A message's attachments followed by what it links to."""
    if not linked:
        return files
    both = {ts: list(blocks) for ts, blocks in (files or {}).items()}
    for ts, blocks in linked.items():
        both[ts] = [*both.get(ts, ()), *blocks]
    return both

"""Which Slack messages the bot answers. Pure: decided from the event alone, except for
"is this one of my threads", which the caller answers with one database lookup."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.core.conversation import BotIdentity

_PERSON_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "me_message"})


class Decision(Enum):
    ANSWER = "answer"
    IF_BOT_THREAD = "if_bot_thread"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Thread:
    team_id: str
    channel_id: str
    thread_ts: str

    @property
    def key(self) -> str:
        return f"{self.team_id}:{self.channel_id}:{self.thread_ts}"


def decide(event: Mapping[str, Any], *, bot: BotIdentity, answer_bots: bool) -> Decision:
    """`message` and `app_mention` events alike; a mention arrives as both and is answered once
    (the caller claims the message, not the event)."""
    subtype = event.get("subtype")
    from_bot = bool(event.get("bot_id")) or subtype == "bot_message"
    if bot.wrote(event) or (from_bot and not answer_bots):
        return Decision.IGNORE
    if subtype not in _PERSON_SUBTYPES and subtype != "bot_message":
        return Decision.IGNORE
    if event.get("type") == "app_mention" or event.get("channel_type") == "im":
        return Decision.ANSWER
    if f"<@{bot.user_id}>" in str(event.get("text") or ""):
        return Decision.ANSWER
    if event.get("thread_ts"):
        return Decision.IF_BOT_THREAD
    return Decision.IGNORE


def thread_of(event: Mapping[str, Any], team_id: str) -> Thread:
    """A top-level message starts a thread under itself (as Slack's AI app pane does)."""
    return Thread(team_id, str(event["channel"]), str(event.get("thread_ts") or event["ts"]))

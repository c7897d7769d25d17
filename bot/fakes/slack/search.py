"""Slack's Real-time Search API as the fake serves it: `assistant.search.context` with a bot token
and the `action_token` Slack put in the message event, answering as the person that token stands
for: only messages from conversations they can see (public channels, and the private channels,
DMs and group DMs they are in), matching every word of the query.

Checked against Slack's method page (arguments, the response's fields, at most 20 results a page,
"special" rate limits). Slack doesn't document its error names for this method; the ones used
here (`invalid_arguments`, `invalid_action_token`, `invalid_limit`, `invalid_cursor`) are
assumptions, listed in docs/claude-tools.md.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import time

from bot.fakes.slack.protocol import JSON, _decoded, _SlackError, _truthy
from bot.fakes.slack.workspace import SlackWorkspace

MAX_SEARCH_RESULTS = 20
CHANNEL_TYPES = frozenset({"public_channel", "private_channel", "mpim", "im"})
CONTENT_TYPES = frozenset({"messages", "files", "channels", "users"})
WORD = re.compile(r"\w+")


class Searching(SlackWorkspace):
    """`assistant.search.context`, and the action tokens message events carry."""

    def issue_action_token(self, user: str) -> str:
        """A token for one event, standing for `user` in this workspace until it expires."""
        token = f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(8)}"
        self._action_tokens[token] = (self.team_id, user, time.monotonic() + self.action_token_lifetime)
        return token

    def _search_context(self, params: JSON, team: str) -> JSON:
        query = str(params.get("query") or "").strip()
        if not query:
            raise _SlackError("invalid_arguments")
        user = self._asker(params, team)
        types = _listed(params.get("channel_types"), "public_channel", CHANNEL_TYPES)
        if "messages" not in _listed(params.get("content_types"), "messages", CONTENT_TYPES):
            return {"ok": True, "results": {"messages": []}, "response_metadata": {"next_cursor": ""}}
        limit = _search_limit(params.get("limit"))
        start = _offset(params.get("cursor"))
        words = set(WORD.findall(query.lower()))
        bots = _truthy(params.get("include_bots"))
        after, before = params.get("after"), params.get("before")
        found = [
            (channel, message)
            for channel, info in self.channels.items()
            if self._conversation_type(info) in types and self._sees(user, info)
            for message in self._messages.get(channel, {}).values()
            if not message.get("hidden")
            and (bots or not message.get("bot_id"))
            and words <= set(WORD.findall(str(message.get("text") or "").lower()))
            and (after in (None, "") or float(message["ts"]) > float(after))
            and (before in (None, "") or float(message["ts"]) < float(before))
        ]
        found.sort(key=lambda pair: float(pair[1]["ts"]), reverse=params.get("sort_dir") != "asc")
        page, more = found[start : start + limit], start + limit < len(found)
        cursor = base64.b64encode(f"search:{start + limit}".encode()).decode() if more else ""
        return {
            "ok": True,
            "results": {"messages": [self._search_result(channel, message) for channel, message in page]},
            "response_metadata": {"next_cursor": cursor},
        }

    def _asker(self, params: JSON, team: str) -> str:
        """Whom a bot token's search stands for: the action token's person, while it is valid."""
        token = str(params.get("action_token") or "")
        if not token:
            raise _SlackError("invalid_arguments")
        issued = self._action_tokens.get(token)
        if issued is None or issued[0] != team or time.monotonic() >= issued[2]:
            raise _SlackError("invalid_action_token")
        return issued[1]

    def _sees(self, user: str, info: JSON) -> bool:
        return not info["is_private"] or self.is_member(info["id"], user)

    @staticmethod
    def _conversation_type(info: JSON) -> str:
        if info["is_im"]:
            return "im"
        if info["is_mpim"]:
            return "mpim"
        return "private_channel" if info["is_private"] else "public_channel"

    def _search_result(self, channel: str, message: JSON) -> JSON:
        return {
            "author_user_id": message.get("user", ""),
            "team_id": message.get("team", self.team_id),
            "channel_id": channel,
            "message_ts": message["ts"],
            "content": message.get("text", ""),
            "is_author_bot": bool(message.get("bot_id")),
            "permalink": self.permalink(channel, message["ts"]),
        }


def _listed(value: object, default: str, allowed: frozenset[str]) -> set[str]:
    """A comma-separated list argument (or a JSON array, as a JSON body may send it)."""
    decoded = _decoded(value)
    if decoded in (None, ""):
        decoded = default
    items = decoded if isinstance(decoded, list) else str(decoded).split(",")
    chosen = {str(item).strip() for item in items if str(item).strip()}
    if not chosen or not chosen <= allowed:
        raise _SlackError("invalid_arguments")
    return chosen


def _search_limit(value: object) -> int:
    if value in (None, ""):
        return MAX_SEARCH_RESULTS
    try:
        limit = int(str(value))
    except ValueError:
        raise _SlackError("invalid_limit") from None
    if not 1 <= limit <= MAX_SEARCH_RESULTS:
        raise _SlackError("invalid_limit")
    return limit


def _offset(cursor: object) -> int:
    if cursor in (None, ""):
        return 0
    try:
        kind, _, value = base64.b64decode(str(cursor), validate=True).decode().partition(":")
        if kind != "search":
            raise ValueError(kind)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _SlackError("invalid_cursor") from None

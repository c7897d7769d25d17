"""Reading a thread back from Slack, the only transcript there is: as much of it as a turn can
use, in a bounded number of calls.

`conversations.replies` pages forward from the oldest reply (the parent heads the first page
whatever `oldest` says), and it is a Tier 3 method: 50 calls a minute for the whole workspace.
Read in full, a 10,000-message thread costs ten calls on every turn. Claude only ever gets the
first message and the newest ones that fit its context window, so that is what is read: the
first page (all of most threads), then, when more remain than the calls left can page through,
windows reaching back from the newest reply, each sized from the thread's own pace (the parent's
`reply_count` and `latest_reply`, then what each window showed) to come back whole in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.context_window import CHARS_PER_TOKEN
from bot.core.conversation import is_notice

PAGE_SIZE = 1000
"""Slack's largest page for this method (the parent, on the first page, counts towards it)."""
MAX_CALLS = 5
"""History calls per turn, whatever the thread's length."""
WINDOW_REPLIES = int(0.8 * (PAGE_SIZE - 1))
"""Replies a window is aimed at: four fifths of a page, so a thread a little busier near its
end than on average still comes back in one call."""
MESSAGE_OVERHEAD_TOKENS = 8
"""The speaker's name and the turn around each message, for sizing reads (not the request)."""

Message = dict[str, Any]


@dataclass(frozen=True)
class ThreadRead:
    messages: list[Message]
    """The parent first. When `skipped`, the replies that follow it come after an unread stretch:
    the bot's notices from the thread's start (the AI pane's greeting is one), then the newest."""
    skipped: int
    """Replies Slack has between the parent and the rest that were not read."""


async def read_thread(
    client: AsyncWebClient, channel: str, thread_ts: str, *, tokens: int, max_calls: int = MAX_CALLS
) -> ThreadRead:
    """The thread's first message and as many of its newest as `tokens` can hold, in at most
    `max_calls` calls."""
    pager = _Pager(client, channel, thread_ts, max_calls)
    first = await pager.page(None, None, None)
    parent, head = _split_parent(first.messages, thread_ts)
    if not first.has_more or parent is None:
        return ThreadRead(first.messages, 0)
    total = max(_int(parent.get("reply_count")), len(head) + 1)
    if _reads_on(pager, head, total - len(head), tokens):
        rest = await pager.onwards(first.cursor)
        head = [*head, *rest.messages]
        if not rest.has_more:
            return ThreadRead([parent, *head], 0)
    head_end = _micros(str(head[-1]["ts"])) if head else _micros(thread_ts)
    newest = max(_micros(str(parent.get("latest_reply") or "0")), head_end + 1)
    tail = await _newest(pager, head_end, newest, total - len(head), tokens)
    if tail.connected:
        return ThreadRead([parent, *head, *tail.messages], 0)
    pinned = [message for message in head if is_notice(message)]
    return ThreadRead([parent, *pinned, *tail.messages], max(1, total - len(pinned) - len(tail.messages)))


async def thread_head(client: AsyncWebClient, channel: str, thread_ts: str, limit: int) -> list[Message]:
    """The parent and the first replies only: where a thread keeps what it was started with."""
    response = await client.conversations_replies(
        channel=channel, ts=thread_ts, limit=limit, include_all_metadata=True
    )
    return list(response.get("messages") or [])


def starts_thread(message: Message, thread_ts: str) -> bool:
    """Whether the message is its thread's first (a new mention, a new DM): then the event is
    the whole thread and there is nothing to read. Unless one of its files came as a stub
    without its links (Slack does that at times, with `file_access: check_file_info`): reading
    the thread gets the whole file object."""
    if message.get("ts") != thread_ts or message.get("thread_ts") not in (None, thread_ts):
        return False
    return all(_described(file) for file in message.get("files") or ())


def with_trigger(thread: list[Message], trigger: Message) -> list[Message]:
    """The thread including the message that started this turn.

    `conversations.replies` is eventually consistent: a message that just arrived may not be
    in it yet.
    """
    ts = trigger.get("ts")
    if any(message.get("ts") == ts for message in thread):
        return thread
    return sorted([*thread, trigger], key=lambda message: float(message.get("ts") or 0))


def _tokens(message: Message) -> float:
    return len(str(message.get("text") or "")) / CHARS_PER_TOKEN + MESSAGE_OVERHEAD_TOKENS


@dataclass(frozen=True)
class _Page:
    messages: list[Message]
    has_more: bool
    cursor: str | None


@dataclass(frozen=True)
class _Window:
    messages: list[Message]
    lower: int
    """The window held every reply after this time (and before its upper bound)."""


@dataclass(frozen=True)
class _Tail:
    messages: list[Message]
    connected: bool
    """True when the tail reaches back to the first page: nothing was left unread."""


class _Pager:
    """`conversations.replies`, counting calls against the turn's allowance."""

    def __init__(self, client: AsyncWebClient, channel: str, thread_ts: str, max_calls: int) -> None:
        self._client = client
        self._channel = channel
        self._ts = thread_ts
        self.calls_left = max(1, max_calls)

    async def page(self, oldest: int | None, latest: int | None, cursor: str | None) -> _Page:
        self.calls_left -= 1
        bounds = {"oldest": _ts(oldest)} if oldest is not None else {}
        if latest is not None:
            bounds["latest"] = _ts(latest)
        response = await self._client.conversations_replies(
            channel=self._channel,
            ts=self._ts,
            limit=PAGE_SIZE,
            cursor=cursor,
            include_all_metadata=True,
            **bounds,
        )
        messages = list(response.get("messages") or [])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        return _Page(messages, bool(response.get("has_more")) and cursor is not None, cursor)

    async def onwards(self, cursor: str | None) -> _Page:
        """The replies after the first page, as far as the calls go (`has_more`: not all)."""
        messages: list[Message] = []
        while cursor is not None and self.calls_left:
            page = await self.page(None, None, cursor)
            messages.extend(page.messages)
            cursor = page.cursor if page.has_more else None
        return _Page(messages, cursor is not None, cursor)

    async def window(self, lower: int, upper: int | None, span_end: int, floor: int) -> _Window | None:
        """The replies after `lower` and before `upper` (None: up to now), read whole; None
        when the calls ran out first.

        A window that turns out busier than aimed at moves closer to `span_end` by what its
        first page showed, rather than being paged through.
        """
        chunk: list[Message] = []
        cursor = None
        while self.calls_left:
            page = await self.page(lower, upper, cursor)
            chunk.extend(message for message in page.messages if message.get("ts") != self._ts)
            if not page.has_more:
                return _Window(chunk, lower)
            seen = _micros(str(chunk[-1]["ts"])) if chunk else lower + 1
            aim = max(floor, span_end - int(WINDOW_REPLIES / _pace(chunk[-len(chunk) // 4 :], lower)))
            if aim > seen:
                lower, chunk, cursor = aim, [], None
            else:
                cursor = page.cursor
        return None


def _reads_on(pager: _Pager, head: Sequence[Message], unread: int, tokens: int) -> bool:
    """Whether to page on from the first page: when Claude would get all the rest anyway, and
    the calls left can read it, keeping one to fall back on reading from the end."""
    pages = -(-unread // PAGE_SIZE)
    average = sum(_tokens(m) for m in head) / len(head) if head else MESSAGE_OVERHEAD_TOKENS
    return pages < pager.calls_left and average * unread <= tokens


async def _newest(pager: _Pager, floor: int, newest: int, unread: int, tokens: int) -> _Tail:
    """Windows back from the newest reply until `tokens` are covered, the calls run out, or
    they meet the first page (`floor`, the last reply it had)."""
    density = max(1, unread) / max(1, newest - floor)
    tail: list[Message] = []
    upper: int | None = None
    held = 0.0
    while pager.calls_left and held < tokens:
        span_end = newest if upper is None else upper
        lower = max(floor, span_end - int(WINDOW_REPLIES / density))
        window = await pager.window(lower, upper, span_end, floor)
        if window is None:
            break
        lower = window.lower
        tail = [*window.messages, *tail]
        held += sum(_tokens(m) for m in window.messages)
        if lower <= floor:
            return _Tail(tail, True)
        density = _pace(window.messages, lower)
        upper = lower + 1
    return _Tail(tail, False)


def _pace(messages: Sequence[Message], since: int) -> float:
    """Replies per microsecond over `messages` (from the first of them, or `since` when there
    is only one): the newer part of what was read is the best guide to what is newer still.
    None at all is next to no pace, so the next window reaches as far back as it may."""
    if not messages:
        return 1 / max(1, since)
    start = _micros(str(messages[0]["ts"])) if len(messages) > 1 else since
    return len(messages) / max(1, _micros(str(messages[-1]["ts"])) - start)


def _described(file: Any) -> bool:
    if not isinstance(file, dict) or file.get("mode") in ("tombstone", "external"):
        return True
    return bool(file.get("url_private_download") or file.get("url_private"))


def _split_parent(messages: list[Message], thread_ts: str) -> tuple[Message | None, list[Message]]:
    if messages and messages[0].get("ts") == thread_ts:
        return messages[0], messages[1:]
    return None, messages


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _micros(ts: str) -> int:
    """Slack timestamps are seconds with six decimals; as integers they compare and subtract
    exactly (a float has too few digits for the microseconds)."""
    seconds, _, fraction = ts.partition(".")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])


def _ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

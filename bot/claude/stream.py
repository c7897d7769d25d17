"""One streaming Messages API call: text deltas out, usage and outcome back.

Reading a stream is most of the bot's CPU per reply (benchmarks/), so this reads it the cheap
way the SDK offers: not the `messages.stream()` helper, which rebuilds a snapshot of the whole
message on every delta, nor typed events, which build pydantic models per delta, but the raw
response parsed as `AsyncStream[object]`: the SDK's own SSE decoding, `error` events and
closing, with each event a plain dict. Once the first text is out, the body is read in
batches (`pacing`), since Slack shows text at most once per update interval anyway.

Failures come back as data, not exceptions, because the turn must still keep the partial
text and record the tokens that were spent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import httpx2

from bot.claude.blocks import Activity, Assembled
from bot.claude.client import Claude
from bot.claude.errors import ClaudeFailure, classify, stalled
from bot.claude.pacing import PacedBody
from bot.process import logs
from bot.process.config import Settings

log = logging.getLogger(__name__)

RENEW_SHARE = 16
"""The silence deadline moves at most every `idle / RENEW_SHARE` seconds, so a stream may go quiet
for between 15/16 of `Deadlines.idle` and all of it before it counts as stalled."""


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    web_search_requests: int = 0
    web_fetch_requests: int = 0
    thinking_tokens: int = 0

    def update(self, usage: dict[str, Any] | None) -> None:
        """Take what a `message_start` / `message_delta` usage carries (fields may be absent or null)."""
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        ):
            value = (usage or {}).get(name)
            if value is not None:
                setattr(self, name, int(value))
        tools = (usage or {}).get("server_tool_use") or {}
        for name in ("web_search_requests", "web_fetch_requests"):
            if tools.get(name) is not None:
                setattr(self, name, int(tools[name]))
        details = (usage or {}).get("output_tokens_details") or {}
        if details.get("thinking_tokens") is not None:
            self.thinking_tokens = int(details["thinking_tokens"])


@dataclass
class StreamResult:
    """Filled in as the stream runs, so a caller that cancels it still has the partial outcome."""

    parts: list[str] = field(default_factory=list)
    stop_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    request_id: str | None = None
    ttft_ms: int | None = None
    duration_ms: int = 0
    failure: ClaudeFailure | None = None
    refusal_category: str | None = None
    stopped: bool = False
    """Ended early on purpose (the Stop button, shutdown)."""
    blocks: Assembled = field(default_factory=Assembled)
    """Tool calls, citations, thinking: everything but the answer's text."""

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass(frozen=True)
class Deadlines:
    """How long a stream may take. The SDK retries 429/5xx/529 before the first token and honours
    `retry-after` without a cap, so `first_token` bounds that whole phase."""

    first_token: float = 120.0
    idle: float = 60.0
    """Longest silence between two events once the answer has started."""
    total: float = 900.0
    busy_after: float = 8.0
    """When the first token takes longer than this, the user is told Claude is busy."""

    @classmethod
    def of(cls, settings: Settings) -> Deadlines:
        return cls(
            settings.claude_first_token_timeout,
            settings.claude_idle_timeout,
            settings.claude_total_timeout,
            settings.claude_busy_notice_seconds,
        )


async def stream_answer(
    claude: Claude,
    params: dict[str, Any],
    on_text: Callable[[str], None],
    result: StreamResult | None = None,
    *,
    deadlines: Deadlines | None = None,
    on_busy: Callable[[], Awaitable[None]] | None = None,
    read_every: float = 0.0,
    on_activity: Callable[[Activity], None] | None = None,
) -> StreamResult:
    """`read_every`: once the first text is out, read the stream at most this often (seconds; 0:
    each delta as it comes). The first text is never held back."""
    client = await claude.client()
    import anthropic  # loaded now: `client` is one of its objects

    result = result if result is not None else StreamResult()
    limits = deadlines or Deadlines()
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    busy = loop.call_later(limits.busy_after, _fire, on_busy) if on_busy else None
    try:
        async with asyncio.timeout(limits.total) as overall, asyncio.timeout(limits.first_token) as silence:
            response = await client.messages.with_raw_response.create(**params, stream=True)
            result.request_id = response.request_id
            logs.bind(request_id=result.request_id)
            body = PacedBody(response.http_response)
            response.http_response.stream = body
            events = await response.parse(to=anthropic.AsyncStream[object])
            async with events:
                renew_at = 0.0
                async for event in cast("AsyncIterator[dict[str, Any]]", events):
                    now = loop.time()
                    if now >= renew_at:
                        # Moving the deadline is a timer reset; once per batch of events is enough.
                        silence.reschedule(now + limits.idle)
                        renew_at = now + limits.idle / RENEW_SHARE
                    kind = event["type"]
                    activity = None
                    if kind == "content_block_delta":
                        delta = event["delta"]
                        if delta["type"] != "text_delta":
                            activity = result.blocks.delta(event)
                            if activity is not None and on_activity is not None:
                                on_activity(activity)
                            continue
                        result.blocks.text(event["index"], delta["text"])
                        if result.ttft_ms is None:
                            result.ttft_ms = round((time.monotonic() - started) * 1000)
                            body.every = read_every
                            if busy is not None:
                                busy.cancel()
                        result.parts.append(delta["text"])
                        on_text(delta["text"])
                    elif kind == "content_block_start":
                        activity = result.blocks.start(event)
                    elif kind == "content_block_stop":
                        if markers := result.blocks.markers(event["index"]):
                            result.parts.append(markers)
                            on_text(markers)
                        activity = result.blocks.stop(event)
                    elif kind == "message_start":
                        result.usage.update(event["message"].get("usage"))
                    elif kind == "message_delta":
                        result.usage.update(event.get("usage"))
                        delta = event["delta"]
                        result.stop_reason = delta.get("stop_reason")
                        details = delta.get("stop_details")
                        result.refusal_category = details.get("category") if details else None
                    elif kind == "message_stop":
                        body.every = 0.0  # only the body's end is left: read it without a rest
                    if activity is not None and on_activity is not None:
                        on_activity(activity)
    except (anthropic.APIError, httpx2.TransportError) as exc:
        result.failure = classify(exc, result.request_id)
    except TimeoutError:
        result.failure = stalled(result.request_id, started_text=bool(result.parts), total=overall.expired())
    finally:
        if busy is not None:
            busy.cancel()
        result.duration_ms = round((time.monotonic() - started) * 1000)
        if result.stop_reason is None:
            # The final count never came; each text delta is at least one token, a lower bound.
            result.usage.output_tokens = max(result.usage.output_tokens, len(result.parts))
    if result.failure is not None:
        log.warning(
            "claude call failed: kind=%s request_id=%s detail=%s",
            result.failure.kind,
            result.failure.request_id,
            result.failure.detail,
        )
    return result


_BACKGROUND: set[asyncio.Task[None]] = set()


def _fire(callback: Callable[[], Awaitable[None]] | None) -> None:
    if callback is not None:
        task = asyncio.ensure_future(callback())
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)

"""One streaming Messages API call: text deltas out, usage and outcome back.

Failures come back as data, not exceptions, because the turn must still keep the partial
text and record the tokens that were spent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2

from bot.claude.errors import ClaudeFailure, classify

log = logging.getLogger(__name__)


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def update(self, usage: Any) -> None:
        """Take what a `message_start` / `message_delta` usage object carries (fields may be None)."""
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        ):
            value = getattr(usage, name, None)
            if value is not None:
                setattr(self, name, int(value))


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
    stopped: bool = False
    """Ended early on purpose (the Stop button, shutdown)."""

    @property
    def text(self) -> str:
        return "".join(self.parts)


async def stream_answer(
    client: anthropic.AsyncAnthropic,
    params: dict[str, Any],
    on_text: Callable[[str], None],
    result: StreamResult | None = None,
) -> StreamResult:
    result = result if result is not None else StreamResult()
    started = time.monotonic()
    try:
        async with client.messages.stream(**params) as stream:
            result.request_id = stream.request_id
            async for event in stream:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    if result.ttft_ms is None:
                        result.ttft_ms = round((time.monotonic() - started) * 1000)
                    result.parts.append(event.delta.text)
                    on_text(event.delta.text)
                elif event.type == "message_start":
                    result.usage.update(event.message.usage)
                elif event.type == "message_delta":
                    result.usage.update(event.usage)
                    result.stop_reason = event.delta.stop_reason
    except (anthropic.APIError, httpx2.TransportError) as exc:
        result.failure = classify(exc, result.request_id)
        log.warning(
            "claude call failed: kind=%s request_id=%s detail=%s",
            result.failure.kind,
            result.failure.request_id,
            result.failure.detail,
        )
    finally:
        result.duration_ms = round((time.monotonic() - started) * 1000)
        if result.stop_reason is None:
            # The final count never came; each text delta is at least one token, a lower bound.
            result.usage.output_tokens = max(result.usage.output_tokens, len(result.parts))
    return result

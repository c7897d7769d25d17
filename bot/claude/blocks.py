"""Everything in a Messages API stream beyond the answer's text: server-tool calls and their
results, citations, thinking. Pure: fed the stream's events as plain dicts.

The answer's text still goes straight from `stream.py` to Slack; this keeps what the rest needs:
the status to show while a tool runs, the sources to cite under the answer, a tool's error as one
line, and the assistant content as sent, which a `pause_turn` continuation must send back as is.
Thinking text is kept apart from the answer and only ever shown as a status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.core.citations import Source
from bot.core.slack_search import TOOL_NAME

MAX_BLOCKS = 200
"""Content blocks kept from one answer: a hostile or broken stream can't grow memory without end."""
MAX_PARTIAL_JSON = 16_384
"""A tool's input (a query, a URL) is short; longer input is cut, never kept whole."""
MAX_CITATIONS = 500
"""Citations kept from one answer; a real answer cites a handful of pages a few times each."""
THINKING_TAIL = 400
"""The latest thinking kept for the status line, which shows less than this."""


@dataclass(frozen=True)
class Activity:
    """What Claude is doing, for the status line: `kind` is "search", "fetch", "slack" (a Slack
    search the bot runs) or "thinking"."""

    kind: str
    detail: str


@dataclass(frozen=True)
class ToolError:
    tool: str
    """`web_search` or `web_fetch`."""
    code: str
    """The API's `error_code`, e.g. `too_many_requests`, `url_not_accessible`."""


@dataclass
class Assembled:
    """The non-text side of one answer, across every call of a `pause_turn` continuation."""

    content: list[dict[str, Any]] = field(default_factory=list)
    """The assistant content blocks as the API sent them (text included), for a continuation."""
    sources: list[Source] = field(default_factory=list)
    errors: list[ToolError] = field(default_factory=list)
    thinking: str = ""
    """The end of the thinking summary so far (its latest `THINKING_TAIL` characters)."""
    citations: int = 0
    fetched: list[tuple[str, str]] = field(default_factory=list)
    """Pages fetched, (url, title) in order: a fetch citation names its document, not a URL."""
    _open: dict[int, dict[str, Any]] = field(default_factory=dict)
    _json: dict[int, str] = field(default_factory=dict)
    _pieces: dict[int, list[str]] = field(default_factory=dict)
    """A text or thinking block's pieces, joined once it ends (appending to a str is quadratic)."""

    def next_call(self) -> None:
        """A continuation begins: its block indexes count from 0 again."""
        self._open.clear()
        self._json.clear()
        self._pieces.clear()

    def start(self, event: dict[str, Any]) -> Activity | None:
        block = dict(event.get("content_block") or {})
        index = int(event.get("index", 0))
        if len(self.content) >= MAX_BLOCKS:
            return None
        self._open[index] = block
        kind = block.get("type")
        if kind in {"thinking", "text"}:
            self._pieces[index] = [str(block.get(kind) or "")]
        elif kind in {"web_search_tool_result", "web_fetch_tool_result"}:
            self._result(block)
        return None

    def delta(self, event: dict[str, Any]) -> Activity | None:
        """A non-text delta; text deltas are added by `text` (they are the hot path)."""
        block = self._open.get(int(event.get("index", 0)))
        if block is None:
            return None
        delta = event.get("delta") or {}
        kind = delta.get("type")
        if kind == "thinking_delta":
            piece = str(delta.get("thinking") or "")
            self.thinking = (self.thinking + piece)[-THINKING_TAIL:]
            self._pieces.setdefault(int(event.get("index", 0)), []).append(piece)
            return Activity("thinking", self.thinking)
        if kind == "signature_delta":
            block["signature"] = str(delta.get("signature") or "")
        elif kind == "input_json_delta":
            index = int(event.get("index", 0))
            joined = self._json.get(index, "") + str(delta.get("partial_json") or "")
            self._json[index] = joined[:MAX_PARTIAL_JSON]
        elif kind == "citations_delta":
            citation = delta.get("citation")
            if isinstance(citation, dict) and self.citations < MAX_CITATIONS:
                self.citations += 1
                block.setdefault("citations", []).append(citation)
                self._cite(citation)
        return None

    def text(self, index: int, piece: str) -> None:
        pieces = self._pieces.get(index)
        if pieces is not None:
            pieces.append(piece)

    def stop(self, event: dict[str, Any]) -> Activity | None:
        index = int(event.get("index", 0))
        block = self._open.pop(index, None)
        if block is None:
            return None
        activity = None
        if index in self._pieces:
            block[block["type"]] = "".join(self._pieces.pop(index))
        if block.get("type") in {"server_tool_use", "tool_use"}:
            raw = self._json.pop(index, "")
            if raw:
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = {}
                block["input"] = parsed if isinstance(parsed, dict) else {}
            activity = _tool_activity(block)
        self.content.append(block)
        return activity

    def markers(self, index: int) -> str:
        """ " [1][2]" for the sources the text block at `index` cites, once its text is complete."""
        block = self._open.get(index)
        if block is None or not block.get("citations"):
            return ""
        numbers = sorted({n for c in block["citations"] if (n := self._number(c)) is not None})
        return " " + "".join(f"[{n}]" for n in numbers) if numbers else ""

    def _result(self, block: dict[str, Any]) -> None:
        content = block.get("content")
        tool = "web_search" if block.get("type") == "web_search_tool_result" else "web_fetch"
        if isinstance(content, dict) and str(content.get("type", "")).endswith("_error"):
            self.errors.append(ToolError(tool, str(content.get("error_code") or "unavailable")))
        elif isinstance(content, dict) and content.get("type") == "web_fetch_result":
            document = content.get("content") or {}
            self.fetched.append((str(content.get("url") or ""), str(document.get("title") or "")))

    def _cite(self, citation: dict[str, Any]) -> None:
        """Each page once, numbered in the order first cited, with the first passage quoted."""
        source = self._source(citation)
        if source is not None and all(s.url != source.url for s in self.sources):
            self.sources.append(source)

    def _number(self, citation: dict[str, Any]) -> int | None:
        source = self._source(citation)
        if source is None:
            return None
        return next((i for i, s in enumerate(self.sources, 1) if s.url == source.url), None)

    def _source(self, citation: dict[str, Any]) -> Source | None:
        quote = str(citation.get("cited_text") or "")
        if citation.get("type") == "web_search_result_location" and citation.get("url"):
            return Source(str(citation.get("url") or ""), str(citation.get("title") or ""), quote)
        if citation.get("type") == "char_location":
            title = citation.get("document_title")
            for url, page_title in self.fetched:
                if title and page_title == title:
                    return Source(url, page_title, quote)
        return None


def _tool_activity(block: dict[str, Any]) -> Activity | None:
    tool_input = block.get("input") or {}
    if block.get("name") == "web_search":
        return Activity("search", str(tool_input.get("query") or ""))
    if block.get("name") == "web_fetch":
        return Activity("fetch", str(tool_input.get("url") or ""))
    if block.get("type") == "tool_use" and block.get("name") == TOOL_NAME:
        return Activity("slack", str(tool_input.get("query") or ""))
    return None

"""The fake Messages API's server tools and thinking: validating `tools` and `thinking` as the real
API does, and serving a scripted answer of steps (think, search, fetch, say) as the same SSE events
the API streams, errors inside tool results included.

Shapes follow the anthropic 2.12 SDK's types (`ServerToolUseBlock`, `WebSearchToolResultBlock`,
`WebFetchToolResultBlock`, `CitationsWebSearchResultLocation`, `CitationCharLocation`,
`ThinkingDelta`, `SignatureDelta`, `ServerToolUsage`, `OutputTokensDetails`); see
docs/claude-tools.md for what was checked and what could not be.

A step uses a tool only when the request offers it (a model can't call a tool it wasn't given),
thinks only when the request asks for thinking, and a search beyond the tool's `max_uses` gets the
`max_uses_exceeded` error the API sends.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

SERVER_TOOL = re.compile(r"^(web_search|web_fetch)_\d{8}$")
CLIENT_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
THINKING_TYPES = ("enabled", "adaptive", "disabled")
THINKING_DISPLAYS = ("summarized", "omitted")
MIN_THINKING_BUDGET = 1024
ASSISTANT_ONLY_BLOCKS = (
    "tool_use",
    "thinking",
    "redacted_thinking",
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
)
SEARCH_ERRORS = (
    "invalid_tool_input",
    "unavailable",
    "max_uses_exceeded",
    "too_many_requests",
    "query_too_long",
)
FETCH_ERRORS = (
    "invalid_tool_input",
    "url_too_long",
    "url_not_allowed",
    "url_not_in_prior_context",
    "url_not_accessible",
    "unsupported_content_type",
    "too_many_requests",
    "max_uses_exceeded",
    "unavailable",
    "content_too_large",
)


class ToolRequestError(ValueError):
    """A request the real API refuses with a 400; the message is the API's kind of wording."""


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    text: str = "Example page text."


@dataclass(frozen=True)
class Think:
    text: str


@dataclass(frozen=True)
class Search:
    query: str
    results: tuple[Page, ...] = ()
    error: str | None = None
    """An `error_code` (`too_many_requests`, …): the result block carries it instead of results."""


@dataclass(frozen=True)
class Fetch:
    url: str
    page: Page | None = None
    error: str | None = None


@dataclass(frozen=True)
class Call:
    """Claude calls a client tool (one the request defines with `input_schema`): the answer ends
    there with `stop_reason` "tool_use", and the next request must carry its `tool_result`."""

    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Say:
    text: str
    cites: tuple[str, ...] = ()
    """URLs of pages searched or fetched earlier in this answer."""


Step = Think | Search | Fetch | Call | Say


@dataclass
class Served:
    """One scripted answer as SSE chunks; `paced[i]` is True where a chunk is a token (a text or
    thinking delta, paced by the fake's token rate), `text_chunks[i]` where it is answer text."""

    chunks: list[bytes] = field(default_factory=list)
    text_chunks: list[bool] = field(default_factory=list)
    paced: list[bool] = field(default_factory=list)
    text: str = ""
    content: list[dict[str, Any]] = field(default_factory=list)
    output_tokens: int = 0
    thinking_tokens: int = 0
    input_tokens: int = 0
    """Tokens the tool results add to the model's context, billed as input."""
    searches: int = 0
    fetches: int = 0
    called: bool = False
    """A client tool was called: the answer stops for its result (`stop_reason` "tool_use")."""


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _tokens(text: str, chars_per_token: int) -> int:
    return math.ceil(len(text) / chars_per_token)


def _tool_id() -> str:
    return "srvtoolu_" + secrets.token_hex(12)


def validate_tools(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The tools offered (server tools and client tools), by name; a 400 for what the API would
    refuse."""
    tools = body.get("tools")
    if tools is None:
        return {}
    if not isinstance(tools, list):
        raise ToolRequestError("tools: Input should be a valid list")
    offered: dict[str, dict[str, Any]] = {}
    for i, tool in enumerate(tools):
        if isinstance(tool, dict) and tool.get("type") in (None, "custom"):
            _check_client_tool(tool, i)
            if tool["name"] in offered:
                raise ToolRequestError(f"tools: Tool names must be unique: {tool['name']}")
            offered[tool["name"]] = tool
            continue
        kind = tool.get("type") if isinstance(tool, dict) else None
        match = SERVER_TOOL.match(kind or "")
        if not isinstance(tool, dict) or match is None:
            raise ToolRequestError(
                f"tools.{i}.type: Input tag {kind!r} does not match any of the expected tags"
            )
        if tool.get("name") != match.group(1):
            raise ToolRequestError(f"tools.{i}.name: Input should be '{match.group(1)}'")
        uses = tool.get("max_uses")
        if uses is not None and (type(uses) is not int or uses < 1):
            raise ToolRequestError(f"tools.{i}.max_uses: Input should be greater than 0")
        if tool.get("allowed_domains") and tool.get("blocked_domains"):
            raise ToolRequestError(f"tools.{i}: Cannot specify both allowed_domains and blocked_domains")
        if tool["name"] in offered:
            raise ToolRequestError(f"tools: Tool names must be unique: {tool['name']}")
        offered[tool["name"]] = tool
    return offered


def _check_client_tool(tool: dict[str, Any], i: int) -> None:
    """A client tool as the API checks it (`ToolParam`): a name, an object `input_schema`."""
    if not isinstance(tool.get("name"), str) or not CLIENT_TOOL_NAME.match(tool["name"]):
        raise ToolRequestError(
            f"tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'"
        )
    schema = tool.get("input_schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ToolRequestError(f"tools.{i}.custom.input_schema: Input should be an object schema")
    if tool.get("description") is not None and not isinstance(tool["description"], str):
        raise ToolRequestError(f"tools.{i}.custom.description: Input should be a valid string")
    extra = set(tool) - {"type", "name", "description", "input_schema", "cache_control"}
    if extra:
        raise ToolRequestError(f"tools.{i}.custom.{sorted(extra)[0]}: Extra inputs are not permitted")


def tool_result_tokens(block: dict[str, Any], where: str, chars_per_token: int) -> int:
    """A `tool_result` block of a user turn, checked and counted."""
    if not isinstance(block.get("tool_use_id"), str):
        raise ToolRequestError(f"{where}.tool_use_id: Field required")
    content = block.get("content", "")
    if isinstance(content, str):
        return _tokens(content, chars_per_token)
    if not isinstance(content, list) or not all(
        isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str) for b in content
    ):
        raise ToolRequestError(f"{where}.content: Input should be a string or a list of text blocks")
    return sum(_tokens(b["text"], chars_per_token) for b in content)


def check_tool_pairs(messages: list[dict[str, Any]], tools: dict[str, dict[str, Any]]) -> None:
    """Every `tool_use` is answered by a `tool_result` at the start of the very next (user) turn,
    and every `tool_result` answers a `tool_use` of the turn just before, as the API insists."""
    uses: dict[int, list[str]] = {}
    results: dict[int, list[tuple[int, str]]] = {}
    for i, message in enumerate(messages):
        content = message.get("content")
        blocks = [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []
        uses[i] = [str(b.get("id")) for b in blocks if b.get("type") == "tool_use"]
        results[i] = [
            (j, str(b.get("tool_use_id"))) for j, b in enumerate(blocks) if b.get("type") == "tool_result"
        ]
    if any(uses.values()) or any(results.values()):
        client_tools = [name for name, tool in tools.items() if tool.get("type") in (None, "custom")]
        if not client_tools:
            raise ToolRequestError(
                "Requests which include `tool_use` or `tool_result` blocks must define tools."
            )
    for i, ids in uses.items():
        # The results must open the next turn: the k-th result is its k-th block.
        answered = [tool_id for k, (j, tool_id) in enumerate(results.get(i + 1, [])) if j == k]
        missing = [tool_id for tool_id in ids if tool_id not in answered]
        if ids and (missing or i + 1 >= len(messages)):
            raise ToolRequestError(
                f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks immediately "
                f"after: {', '.join(missing or ids)}. Each `tool_use` block must have a corresponding "
                "`tool_result` block in the next message."
            )
    for i, found in results.items():
        for j, tool_id in found:
            if tool_id not in uses.get(i - 1, []):
                raise ToolRequestError(
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{tool_id}. Each `tool_result` block must have a corresponding `tool_use` block in "
                    "the previous message."
                )


def validate_thinking(body: dict[str, Any]) -> dict[str, Any] | None:
    """The thinking asked for (None: none, or `disabled`); a 400 for what the API would refuse."""
    thinking = body.get("thinking")
    if thinking is None:
        return None
    if not isinstance(thinking, dict) or thinking.get("type") not in THINKING_TYPES:
        raise ToolRequestError(
            f"thinking.type: Input should be one of {', '.join(map(repr, THINKING_TYPES))}"
        )
    if thinking.get("display") is not None and thinking["display"] not in THINKING_DISPLAYS:
        raise ToolRequestError("thinking.display: Input should be 'summarized' or 'omitted'")
    if thinking["type"] == "enabled":
        budget = thinking.get("budget_tokens")
        if type(budget) is not int or budget < MIN_THINKING_BUDGET:
            raise ToolRequestError(
                f"thinking.enabled.budget_tokens: Input should be >= {MIN_THINKING_BUDGET}"
            )
        if budget >= body.get("max_tokens", 0):
            raise ToolRequestError("`max_tokens` must be greater than `thinking.budget_tokens`")
    elif "budget_tokens" in thinking:
        raise ToolRequestError(f"thinking.{thinking['type']}.budget_tokens: Extra inputs are not permitted")
    return None if thinking["type"] == "disabled" else thinking


def assistant_block_tokens(block: dict[str, Any], where: str, chars_per_token: int) -> int:
    """A block only an assistant turn may carry (a paused answer sent back), checked and counted."""
    kind = block.get("type")
    if kind == "thinking":
        if not isinstance(block.get("thinking"), str) or not isinstance(block.get("signature"), str):
            raise ToolRequestError(f"{where}: thinking blocks need `thinking` and `signature`")
        return 0  # earlier thinking is not counted as input
    if kind == "redacted_thinking":
        return 0
    if kind == "tool_use":
        if not all(isinstance(block.get(key), str) for key in ("id", "name")) or not isinstance(
            block.get("input"), dict
        ):
            raise ToolRequestError(f"{where}: tool_use blocks need `id`, `name` and `input`")
        return _tokens(json.dumps(block["input"]), chars_per_token)
    if kind == "server_tool_use":
        if not isinstance(block.get("id"), str) or not isinstance(block.get("input"), dict):
            raise ToolRequestError(f"{where}: server_tool_use blocks need `id` and `input`")
        return _tokens(json.dumps(block["input"]), chars_per_token)
    if not isinstance(block.get("tool_use_id"), str) or "content" not in block:
        raise ToolRequestError(f"{where}: {kind} blocks need `tool_use_id` and `content`")
    return _tokens(json.dumps(block["content"]), chars_per_token)


def is_continuation(message: dict[str, Any]) -> bool:
    """A final assistant turn that carries server-tool use: a paused answer sent back to go on,
    which the API accepts where it refuses any other prefill."""
    content = message.get("content")
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "server_tool_use" for b in content
    )


class _Writer:
    def __init__(self, served: Served, chars_per_token: int) -> None:
        self.served = served
        self.chars_per_token = chars_per_token
        self.index = 0

    def emit(self, event: str, data: dict[str, Any], *, text: bool = False, token: bool = False) -> None:
        self.served.chunks.append(_sse(event, data))
        self.served.text_chunks.append(text)
        self.served.paced.append(text or token)

    def start(self, block: dict[str, Any]) -> None:
        self.emit(
            "content_block_start",
            {"type": "content_block_start", "index": self.index, "content_block": block},
        )

    def delta(self, delta: dict[str, Any], *, text: bool = False, token: bool = False) -> None:
        event = {"type": "content_block_delta", "index": self.index, "delta": delta}
        self.emit("content_block_delta", event, text=text, token=token)

    def stop(self, block: dict[str, Any]) -> None:
        self.emit("content_block_stop", {"type": "content_block_stop", "index": self.index})
        self.served.content.append(block)
        self.index += 1

    def pieces(self, text: str) -> list[str]:
        size = self.chars_per_token
        return [text[i : i + size] for i in range(0, len(text), size)]


def serve(steps: tuple[Step, ...], body: dict[str, Any], chars_per_token: int) -> Served:
    """The answer these steps make for this request, as the API would stream it."""
    offered = validate_tools(body)
    thinking = validate_thinking(body)
    served = Served()
    out = _Writer(served, chars_per_token)
    used = {"web_search": 0, "web_fetch": 0}
    pages: dict[str, tuple[Page, str]] = _searched_before(body)
    """Every page a search or fetch returned, by URL, with how it was found."""
    fetched: list[str] = []
    for step in steps:
        if isinstance(step, Think):
            if thinking is None:
                continue
            shown = "" if thinking.get("display") == "omitted" else step.text
            out.start({"type": "thinking", "thinking": "", "signature": ""})
            for piece in out.pieces(shown):
                out.delta({"type": "thinking_delta", "thinking": piece}, token=True)
            signature = secrets.token_urlsafe(24)
            out.delta({"type": "signature_delta", "signature": signature})
            out.stop({"type": "thinking", "thinking": shown, "signature": signature})
            tokens = _tokens(step.text, chars_per_token) + 2
            served.thinking_tokens += tokens
            served.output_tokens += tokens
        elif isinstance(step, Call):
            if step.name not in offered or offered[step.name].get("type") not in (None, "custom"):
                continue
            _tool_call(out, step.name, step.input, served, chars_per_token, client=True)
            served.called = True
        elif isinstance(step, Search | Fetch):
            name = "web_search" if isinstance(step, Search) else "web_fetch"
            tool = offered.get(name)
            if tool is None:
                continue
            used[name] += 1
            error = step.error
            if tool.get("max_uses") is not None and used[name] > tool["max_uses"]:
                error = "max_uses_exceeded"
            tool_input = {"query": step.query} if isinstance(step, Search) else {"url": step.url}
            _tool_call(out, name, tool_input, served, chars_per_token)
            tool_use_id = served.content[-1]["id"]
            if isinstance(step, Search):
                result = _search_result(step, error, pages)
                served.searches += error is None
            else:
                result = _fetch_result(step, error, pages, fetched)
                served.fetches += error is None
            block = {"type": f"{name}_tool_result", "tool_use_id": tool_use_id, "content": result}
            out.start(block)
            out.stop(block)
            served.input_tokens += _tokens(json.dumps(result), chars_per_token)
        else:
            _say(out, step, pages, fetched)
    return served


def _searched_before(body: dict[str, Any]) -> dict[str, tuple[Page, str]]:
    """Pages earlier searches of this answer found (sent back in its assistant turns, before a
    continuation): Claude may cite them too. Only their titles are known here, so those quote it."""
    pages: dict[str, tuple[Page, str]] = {}
    for message in body.get("messages") or ():
        content = message.get("content") if message.get("role") == "assistant" else None
        for block in content if isinstance(content, list) else ():
            results = block.get("content") if block.get("type") == "web_search_tool_result" else None
            for result in results if isinstance(results, list) else ():
                url, title = str(result.get("url") or ""), str(result.get("title") or "")
                pages[url] = (Page(url, title, title), "search")
    return pages


def _tool_call(
    out: _Writer,
    name: str,
    tool_input: dict[str, Any],
    served: Served,
    chars_per_token: int,
    *,
    client: bool = False,
) -> None:
    if client:
        block = {"type": "tool_use", "id": "toolu_" + secrets.token_hex(12), "name": name, "input": {}}
    else:
        block = {"type": "server_tool_use", "id": _tool_id(), "name": name, "input": {}}
    out.start(block)
    raw = json.dumps(tool_input)
    out.delta({"type": "input_json_delta", "partial_json": ""})
    for piece in (raw[i : i + 8] for i in range(0, len(raw), 8)):
        out.delta({"type": "input_json_delta", "partial_json": piece})
    out.stop(block | {"input": tool_input})
    served.output_tokens += _tokens(raw, chars_per_token)


def _search_result(step: Search, error: str | None, pages: dict[str, tuple[Page, str]]) -> Any:
    if error is not None:
        assert error in SEARCH_ERRORS, error
        return {"type": "web_search_tool_result_error", "error_code": error}
    for page in step.results:
        pages[page.url] = (page, "search")
    return [
        {
            "type": "web_search_result",
            "title": page.title,
            "url": page.url,
            "encrypted_content": secrets.token_urlsafe(32),
            "page_age": "April 30, 2026",
        }
        for page in step.results
    ]


def _fetch_result(
    step: Fetch, error: str | None, pages: dict[str, tuple[Page, str]], fetched: list[str]
) -> Any:
    if error is None and step.page is None:
        error = "url_not_accessible"
    if error is not None:
        assert error in FETCH_ERRORS, error
        return {"type": "web_fetch_tool_result_error", "error_code": error}
    assert step.page is not None
    pages[step.page.url] = (step.page, "fetch")
    fetched.append(step.page.url)
    return {
        "type": "web_fetch_result",
        "url": step.page.url,
        "retrieved_at": "2026-05-01T12:00:00Z",
        "content": {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": step.page.text},
            "title": step.page.title,
            "citations": {"enabled": True},
        },
    }


def _say(out: _Writer, step: Say, pages: dict[str, tuple[Page, str]], fetched: list[str]) -> None:
    citations = [_citation(url, pages, fetched) for url in step.cites]
    block: dict[str, Any] = {"type": "text", "text": ""}
    if citations:
        block["citations"] = []
    out.start(block)
    for citation in citations:
        out.delta({"type": "citations_delta", "citation": citation})
    for piece in out.pieces(step.text):
        out.delta({"type": "text_delta", "text": piece}, text=True)
    out.served.text += step.text
    out.served.output_tokens += len(out.pieces(step.text))
    finished: dict[str, Any] = {"type": "text", "text": step.text}
    if citations:
        finished["citations"] = citations
    out.stop(finished)


def _citation(url: str, pages: dict[str, tuple[Page, str]], fetched: list[str]) -> dict[str, Any]:
    assert url in pages, f"a scripted citation of {url}, which no step of this answer returned"
    page, how = pages[url]
    quote = page.text[:150]
    if how == "search":
        return {
            "type": "web_search_result_location",
            "url": page.url,
            "title": page.title,
            "cited_text": quote,
            "encrypted_index": secrets.token_urlsafe(16),
        }
    return {
        "type": "char_location",
        "cited_text": quote,
        "document_index": fetched.index(url),
        "document_title": page.title,
        "start_char_index": 0,
        "end_char_index": len(quote),
    }

"""The fake's server tools and thinking, read by the real anthropic SDK's typed stream helper: the
events must build the SDK's own block types, as the API's do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import pytest
import pytest_asyncio
from anthropic.types import (
    CitationCharLocation,
    CitationsWebSearchResultLocation,
    ServerToolUseBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    WebFetchToolResultBlock,
    WebSearchToolResultBlock,
    WebSearchToolResultErrorObject,
)

from bot.fakes.claude import FakeClaude, Reply
from bot.fakes.claude_tools import Call, Fetch, Page, Say, Search, Think

pytestmark = pytest.mark.asyncio

MODEL = "claude-sonnet-5-5"
PAGE = Page("https://docs.example.com/a", "Docs", "The answer is 42, as the docs say.")
OTHER = Page("https://blog.example.org/b", "Blog", "Another page.")
TOOLS = [
    {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
    {"type": "web_fetch_20250910", "name": "web_fetch", "max_uses": 3, "citations": {"enabled": True}},
]


@pytest_asyncio.fixture
async def pair() -> AsyncIterator[tuple[FakeClaude, anthropic.AsyncAnthropic]]:
    async with FakeClaude() as fake:
        client = anthropic.AsyncAnthropic(api_key=fake.api_key, base_url=fake.base_url, max_retries=0)
        yield fake, client
        await client.close()


async def final(client: anthropic.AsyncAnthropic, **params: Any) -> anthropic.types.Message:
    base: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 8000,
        "messages": [{"role": "user", "content": "q"}],
    }
    async with client.messages.stream(**(base | params)) as stream:
        return await stream.get_final_message()


async def test_searches_fetches_citations_and_thinking_build_the_sdks_types(pair: Any) -> None:
    fake, client = pair
    fake.script(
        Reply(
            steps=(
                Think("Let me check."),
                Search("answer", results=(PAGE, OTHER)),
                Fetch(OTHER.url, page=OTHER),
                Say("It is 42.", cites=(PAGE.url,)),
            )
        )
    )
    message = await final(client, tools=TOOLS, thinking={"type": "adaptive", "display": "summarized"})
    thinking, use, searched, use_fetch, fetched, text = message.content
    assert isinstance(thinking, ThinkingBlock) and thinking.thinking == "Let me check." and thinking.signature
    assert (
        isinstance(use, ServerToolUseBlock) and use.name == "web_search" and use.input == {"query": "answer"}
    )
    assert isinstance(searched, WebSearchToolResultBlock) and searched.tool_use_id == use.id
    assert isinstance(searched.content, list) and searched.content[0].url == PAGE.url
    assert isinstance(use_fetch, ServerToolUseBlock) and use_fetch.input == {"url": OTHER.url}
    assert isinstance(fetched, WebFetchToolResultBlock) and fetched.content.type == "web_fetch_result"
    assert isinstance(text, TextBlock) and text.text == "It is 42."
    assert text.citations is not None
    assert isinstance(text.citations[0], CitationsWebSearchResultLocation)
    usage = message.usage
    assert usage.server_tool_use is not None
    assert (usage.server_tool_use.web_search_requests, usage.server_tool_use.web_fetch_requests) == (1, 1)
    assert usage.output_tokens_details is not None and usage.output_tokens_details.thinking_tokens > 0


async def test_errors_inside_results_parse_as_the_sdks_error_objects(pair: Any) -> None:
    fake, client = pair
    fake.script(Reply(steps=(Search("x", error="too_many_requests"), Search("y"), Say("Sorry."))))
    tools = [{"type": "web_search_20250305", "name": "web_search", "max_uses": 1}]
    message = await final(client, tools=tools)
    errors = [b.content for b in message.content if isinstance(b, WebSearchToolResultBlock)]
    assert all(isinstance(e, WebSearchToolResultErrorObject) for e in errors)
    assert [e.error_code for e in errors] == ["too_many_requests", "max_uses_exceeded"]  # type: ignore[union-attr]
    assert (
        message.usage.server_tool_use is not None and message.usage.server_tool_use.web_search_requests == 0
    )


async def test_a_fetched_page_is_cited_by_char_location(pair: Any) -> None:
    fake, client = pair
    fake.script(Reply(steps=(Fetch(PAGE.url, page=PAGE), Say("42.", cites=(PAGE.url,)))))
    message = await final(client, tools=TOOLS)
    text = message.content[-1]
    assert isinstance(text, TextBlock) and text.citations is not None
    citation = text.citations[0]
    assert isinstance(citation, CitationCharLocation) and citation.document_title == "Docs"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tools": [{"type": "web_search_20250305", "name": "search"}]}, "tools.0.name"),
        ({"tools": [{"type": "web_search_2025", "name": "web_search"}]}, "tools.0.type"),
        ({"tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 0}]}, "max_uses"),
        ({"thinking": {"type": "enabled", "budget_tokens": 500}}, "budget_tokens"),
        ({"thinking": {"type": "enabled", "budget_tokens": 9000}}, "max_tokens"),
        ({"thinking": {"type": "adaptive", "budget_tokens": 2000}}, "Extra inputs"),
    ],
)
async def test_bad_tools_and_thinking_are_refused_as_the_api_does(
    pair: Any, params: Any, message: str
) -> None:
    _, client = pair
    with pytest.raises(anthropic.BadRequestError, match=message):
        await final(client, **params)


async def test_a_paused_answer_sent_back_is_accepted_but_other_prefill_is_not(pair: Any) -> None:
    fake, client = pair
    fake.script(
        Reply(stop_reason="pause_turn", steps=(Search("x", results=(PAGE,)),)), Reply(steps=(Say("Go on."),))
    )
    paused = await final(client, tools=TOOLS)
    assert paused.stop_reason == "pause_turn"
    content = [block.model_dump(exclude_none=True) for block in paused.content]
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": content}]
    resumed = await final(client, tools=TOOLS, messages=messages)
    assert resumed.content[-1].text == "Go on."  # type: ignore[union-attr]
    with pytest.raises(anthropic.BadRequestError, match="prefill"):
        await final(
            client, messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "Hi"}]
        )


SEARCH_TOOL = {
    "name": "search_slack",
    "description": "Search Slack.",
    "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
}


async def test_a_client_tool_call_builds_the_sdks_tool_use_and_its_result_must_follow(pair: Any) -> None:
    fake, client = pair
    fake.script(Reply(steps=(Say("Looking."), Call("search_slack", {"query": "roadmap"}))), "Done.")
    message = await final(client, tools=[SEARCH_TOOL])
    assert message.stop_reason == "tool_use"
    text, call = message.content
    assert isinstance(text, TextBlock) and isinstance(call, ToolUseBlock)
    assert (call.name, call.input) == ("search_slack", {"query": "roadmap"})

    asked = [{"role": "user", "content": "q"}, {"role": "assistant", "content": [call.model_dump()]}]
    with pytest.raises(anthropic.BadRequestError, match="without `tool_result` blocks immediately after"):
        await client.messages.create(
            model=MODEL,
            max_tokens=100,
            tools=[SEARCH_TOOL],
            messages=[*asked, {"role": "user", "content": "?"}],
        )
    stray = {"type": "tool_result", "tool_use_id": "toolu_other", "content": "x"}
    with pytest.raises(anthropic.BadRequestError, match="unexpected `tool_use_id`"):
        await client.messages.create(
            model=MODEL,
            max_tokens=100,
            tools=[SEARCH_TOOL],
            messages=[
                *asked,
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id}, stray]},
            ],
        )
    with pytest.raises(anthropic.BadRequestError, match="must define tools"):
        answered = {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "r"}],
        }
        await client.messages.create(model=MODEL, max_tokens=100, messages=[*asked, answered])
    answer = await client.messages.create(
        model=MODEL, max_tokens=100, tools=[SEARCH_TOOL], messages=[*asked, answered]
    )
    assert answer.content[0].type == "text" and answer.stop_reason == "end_turn"


async def test_a_client_tool_that_was_not_offered_is_never_called(pair: Any) -> None:
    fake, client = pair
    fake.script(Reply(steps=(Call("search_slack", {"query": "x"}), Say("No tools here."))))
    message = await final(client)
    assert message.stop_reason == "end_turn"
    assert [block.type for block in message.content] == ["text"]

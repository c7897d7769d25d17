"""The pure side of web tools and thinking: stream blocks to sources and statuses, citation
rendering, status words, feature layering, command parsing, request parameters, the canned web."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.claude.blocks import (
    MAX_BLOCKS,
    MAX_CITATIONS,
    MAX_PARTIAL_JSON,
    THINKING_TAIL,
    Activity,
    Assembled,
    ToolError,
)
from bot.claude.server_tools import continuation, feature_params, search_allowance
from bot.core.citations import MAX_SOURCES, Source, error_line, sources_text
from bot.core.command_syntax import Command, parse
from bot.core.features import WORKSPACE, Choice, layer
from bot.core.tool_status import status_text
from bot.fakes.claude_tools import Page, Say, Search, Think, ToolRequestError, serve, validate_thinking
from bot.process.config import Settings
from bot.runtime.sandbox.canned_pages import PAGES, plan


def settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


def events(chunks: list[bytes]) -> list[dict[str, Any]]:
    """The fake's SSE chunks as the plain dicts the bot's stream reader sees."""
    return [json.loads(chunk.decode().split("data: ", 1)[1]) for chunk in chunks]


def assemble(served: list[dict[str, Any]]) -> tuple[Assembled, list[Activity], str]:
    blocks, activities, text = Assembled(), [], ""
    for event in served:
        kind, activity = event["type"], None
        if kind == "content_block_start":
            activity = blocks.start(event)
        elif kind == "content_block_delta" and event["delta"]["type"] == "text_delta":
            blocks.text(event["index"], event["delta"]["text"])
            text += event["delta"]["text"]
        elif kind == "content_block_delta":
            activity = blocks.delta(event)
        elif kind == "content_block_stop":
            text += blocks.markers(event["index"])
            activity = blocks.stop(event)
        if activity is not None:
            activities.append(activity)
    return blocks, activities, text


DOCS = Page("https://docs.example.com/a", "Docs <b>", "Docs text")
BLOG = Page("https://blog.example.org/b", "Blog", "Blog text")
WEB = {"tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}], "max_tokens": 100}


def test_a_streamed_search_gives_its_status_numbered_sources_and_the_content_to_send_back() -> None:
    served = serve(
        (
            Search("new release", results=(DOCS, BLOG)),
            Say("It is out.", cites=(BLOG.url, DOCS.url, BLOG.url)),
        ),
        WEB,
        4,
    )
    blocks, activities, text = assemble(events(served.chunks))
    assert activities == [Activity("search", "new release")]
    assert text == "It is out. [1][2]"
    assert [s.url for s in blocks.sources] == [BLOG.url, DOCS.url], "first cited first, each once"
    assert [b["type"] for b in blocks.content] == ["server_tool_use", "web_search_tool_result", "text"]
    assert blocks.content[0]["input"] == {"query": "new release"}
    assert blocks.content[2]["text"] == "It is out." and len(blocks.content[2]["citations"]) == 3
    assert served.searches == 1


def test_searches_beyond_max_uses_and_scripted_errors_come_back_as_tool_errors() -> None:
    steps = (
        Search("a", results=(DOCS,)),
        Search("b", error="too_many_requests"),
        Search("c", results=(BLOG,)),
    )
    blocks, _, _ = assemble(events(serve(steps, WEB, 4).chunks))
    assert blocks.errors == [
        ToolError("web_search", "too_many_requests"),
        ToolError("web_search", "max_uses_exceeded"),
    ]


def test_thinking_deltas_stay_out_of_the_text_and_are_offered_only_when_asked_for() -> None:
    asked = {"thinking": {"type": "adaptive", "display": "summarized"}, "max_tokens": 100}
    served = serve((Think("secret plan"), Say("Answer.")), asked, 4)
    blocks, activities, text = assemble(events(served.chunks))
    assert text == "Answer." and blocks.thinking == "secret plan"
    assert activities[-1] == Activity("thinking", "secret plan")
    assert blocks.content[0]["type"] == "thinking" and blocks.content[0]["signature"]
    assert served.thinking_tokens > 0
    assert "secret" not in json.dumps(events(serve((Think("secret"), Say("x")), {"max_tokens": 9}, 4).chunks))


def test_a_hostile_stream_is_bounded() -> None:
    blocks = Assembled()
    blocks.start(
        {"index": 0, "content_block": {"type": "server_tool_use", "name": "web_search", "input": {}}}
    )
    for _ in range(1000):
        blocks.delta({"index": 0, "delta": {"type": "input_json_delta", "partial_json": "x" * 100}})
    assert len(blocks._json[0]) == MAX_PARTIAL_JSON
    assert blocks.stop({"index": 0}) == Activity("search", ""), "unparsable input: no query, no crash"
    for i in range(MAX_BLOCKS * 2):
        blocks.start({"index": i + 1, "content_block": {"type": "text", "text": ""}})
        blocks.stop({"index": i + 1})
    assert len(blocks.content) == MAX_BLOCKS

    cited = Assembled()
    cited.start({"index": 0, "content_block": {"type": "text", "text": ""}})
    for i in range(MAX_CITATIONS * 2):
        citation = {"type": "web_search_result_location", "url": f"https://e.com/{i}", "cited_text": "x"}
        cited.delta({"index": 0, "delta": {"type": "citations_delta", "citation": citation}})
    cited.start({"index": 1, "content_block": {"type": "thinking", "thinking": "", "signature": ""}})
    for _ in range(1000):
        cited.delta({"index": 1, "delta": {"type": "thinking_delta", "thinking": "y" * 1000}})
    assert len(cited.sources) == MAX_CITATIONS and len(cited.thinking) == THINKING_TAIL


def test_sources_are_numbered_escaped_quoted_short_and_capped() -> None:
    many = [Source(f"https://e.com/{i}", f"T{i}", "q" * 500) for i in range(MAX_SOURCES + 3)]
    text = sources_text([Source("https://a.com/x", "A <b> | c", "“quote” & <!channel>"), *many])
    assert text is not None
    lines = text.splitlines()
    assert lines[1] == "[1] <https://a.com/x|A &lt;b&gt; ¦ c> — ““quote” &amp; &lt;!channel&gt;”"
    assert len(lines) == 1 + MAX_SOURCES + 1 and lines[-1] == "…and 4 more."
    assert max(len(line) for line in lines) < 200
    assert sources_text([Source("javascript:alert(1)", "x")]) == "*Sources*\n[1] x", "no link for odd URLs"
    assert sources_text([]) is None


def test_tool_errors_make_one_friendly_line() -> None:
    line = error_line(
        [
            ToolError("web_search", "too_many_requests"),
            ToolError("web_search", "too_many_requests"),
            ToolError("web_fetch", "url_not_accessible"),
        ]
    )
    assert (
        line == "⚠️ Web search failed: too many searches right now; "
        "reading a page failed: the page couldn't be reached."
    )
    assert error_line([]) is None


def test_status_words_cut_and_escape_what_the_model_wrote() -> None:
    assert (
        status_text("search", "latest <b>release</b>")
        == "is searching the web for “latest &lt;b&gt;release&lt;/b&gt;”…"
    )
    assert status_text("fetch", "https://www.example.com/a?b") == "is reading example.com…"
    assert status_text("fetch", "not a url") == "is reading a web page…"
    long = status_text("thinking", "word " * 100 + "the end")
    assert long is not None and long.endswith("the end") and len(long) < 100


def test_a_channels_choice_wins_over_the_workspaces_and_both_default_off() -> None:
    choices = [
        Choice(WORKSPACE, "web", True, max_uses=3),
        Choice(WORKSPACE, "thinking", True),
        Choice("C1", "thinking", False),
        Choice("C2", "web", None),
    ]
    c1, c2 = layer(choices, "C1"), layer(choices, "C2")
    assert c1.on == {"web"}
    assert c1.layers == {"web": "workspace", "thinking": "channel", "slack": "default"}
    assert c2.on == {"web", "thinking"} and c2.max_uses == {"web": 3}
    assert layer([], "C1").on == frozenset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tools", Command("feature_show")),
        ("tools web on", Command("feature_set", "on", feature="web")),
        ("tools web OFF --workspace", Command("feature_set", "off", workspace=True, feature="web")),
        ("tools web on workspace", Command("feature_set", "on", workspace=True, feature="web")),
        ("tools --workspace web reset", Command("feature_reset", workspace=True, feature="web")),
        ("tools web limit 4", Command("feature_limit", workspace=True, feature="web", tokens=4)),
        ("thinking on", Command("feature_set", "on", feature="thinking")),
        ("thinking reset --workspace", Command("feature_reset", workspace=True, feature="thinking")),
        ("thinking", Command("feature_show")),
    ],
)
def test_feature_commands_parse(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["tools email on", "tools web maybe", "tools web limit 0", "tools web limit 99", "thinking limit 3"],
)
def test_bad_feature_commands_say_what_works(text: str) -> None:
    command = parse(text)
    assert command.kind == "invalid" and "`/claude" in command.text


def test_request_parameters_come_from_settings() -> None:
    config = settings(
        claude_web_search_tool="web_search_20260318", claude_thinking_type="enabled", claude_max_tokens=2000
    )
    on = layer(
        [Choice("C1", "web", True), Choice("C1", "thinking", True), Choice(WORKSPACE, "web", None, 2)], "C1"
    )
    params = feature_params(on, config, "claude-opus-5-5")
    assert params["tools"][0] == {"type": "web_search_20260318", "name": "web_search", "max_uses": 2}
    assert params["tools"][1]["type"] == config.claude_web_fetch_tool
    assert params["thinking"] == {"type": "enabled", "display": "summarized", "budget_tokens": 4096}
    assert params["max_tokens"] == 2000 + 4096
    validate_thinking(params)  # the fake (as the API) accepts it
    assert search_allowance(params, config) == 2 * config.web_search_budget_tokens
    assert "thinking" not in feature_params(on, config, "claude-other-1"), "only for thinking models"
    assert feature_params(layer([], "C1"), config, "claude-opus-5-5") == {}
    with pytest.raises(ToolRequestError):
        validate_thinking({"thinking": {"type": "enabled", "budget_tokens": 4096}, "max_tokens": 4096})


def test_a_continuation_sends_the_paused_content_back_as_the_last_assistant_turn() -> None:
    params = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    content = [
        {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}, "caller": {}},
        {"type": "text", "text": ""},
    ]
    after = continuation(params, content)
    assert after["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}],
    }
    assert params["messages"] == [{"role": "user", "content": "hi"}], "the first request is untouched"


def test_the_canned_web_answers_searches_offline() -> None:
    body = {
        "tools": [{"name": "web_search"}],
        "messages": [{"role": "user", "content": "is example down? status"}],
    }
    steps = plan(body, lambda _: "answer")
    assert isinstance(steps[0], Search) and steps[0].results[0] == PAGES[1]
    assert isinstance(steps[-1], Say) and steps[-1].cites == (PAGES[1].url,)
    assert plan({"messages": body["messages"]}, lambda _: "answer") == ()


def test_the_home_tab_shows_the_defaults_and_admins_the_searches() -> None:
    from datetime import date

    from bot.core.feature_replies import workspace_features
    from bot.core.home_view import home_view, tools_line
    from bot.store.usage_report import WorkspaceUsage

    defaults = layer([Choice(WORKSPACE, "web", True, max_uses=4)], WORKSPACE)
    line = workspace_features(defaults, default_uses=5)
    assert "Web search and page reading: *on* by default. Up to 4 uses per answer." in line
    assert "Extended thinking: *off* by default." in line
    view = json.dumps(
        home_view(bot_user_id="UBOT", usage=None, budget=None, today=date(2026, 5, 1), features=line)
    )
    assert "Tools and thinking" in view and "Up to 4 uses" in view
    figures = WorkspaceUsage(
        date(2026, 5, 1),
        {},
        1,
        0,
        0,
        0,
        0,
        [],
        [],
        0,
        0,
        0,
        web_search_requests=1,
        web_fetch_requests=2,
        thinking_tokens=12_000,
    )
    assert tools_line(figures) == "1 web search, 2 page reads, 12k thinking tokens (part of the output)."


def test_usage_in_slack_shows_searches_and_page_reads() -> None:
    from bot.flows.command_replies import Period, usage_table

    table = usage_table("Usage", [Period("today", 3, 1_500, 2, 1)], "No budget.")
    header, row = table.splitlines()[2:4]
    assert header.split() == ["period", "requests", "tokens", "searches", "pages"]
    assert row.split() == ["today", "3", "1,500", "2", "1"]

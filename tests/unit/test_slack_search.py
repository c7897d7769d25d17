"""The pure parts of Slack search, on plain data: the tool, its arguments, what Claude reads, the
links the person sees, the feature's switch and who may use it."""

from __future__ import annotations

from bot.claude.server_tools import continuation, with_results
from bot.core.citations import Source, sources_text
from bot.core.command_syntax import Command, parse_feature
from bot.core.features import WORKSPACE, Choice, layer
from bot.core.permissions import refusal
from bot.core.redaction import REDACTED, redact
from bot.core.slack_search import (
    ALL_CONVERSATIONS,
    MAX_QUERY_CHARS,
    NOTHING_FOUND,
    PUBLIC_ONLY,
    Hit,
    Limits,
    calls_of,
    hits_of,
    merged_sources,
    query_of,
    result_text,
    search_args,
    sources_of,
    tool_result,
)
from bot.core.tool_status import status_text

LIMITS = Limits(searches=3, results=10, chars=500)
LINK = "https://acme.slack.com/archives/C1/p1700000001000001"


def found(*texts: str, channel: str = "C1") -> dict:
    return {
        "ok": True,
        "results": {
            "messages": [
                {
                    "author_user_id": "U2",
                    "team_id": "T0TEAM",
                    "channel_id": channel,
                    "message_ts": f"17000000{i:02d}.000100",
                    "content": text,
                    "is_author_bot": False,
                    "permalink": f"{LINK}{i}",
                }
                for i, text in enumerate(texts)
            ]
        },
    }


def test_the_arguments_search_everything_only_where_the_asker_alone_reads_the_answer() -> None:
    alone = search_args("roadmap", "tok", LIMITS, everywhere=True)
    assert alone == {
        "query": "roadmap",
        "action_token": "tok",
        "channel_types": ALL_CONVERSATIONS,
        "content_types": "messages",
        "limit": 10,
        "include_bots": False,
    }
    assert search_args("roadmap", "tok", LIMITS, everywhere=False)["channel_types"] == PUBLIC_ONLY
    assert search_args("q", "tok", Limits(3, 50, 500), everywhere=False)["limit"] == 20, "Slack's page"


def test_the_query_is_flattened_and_cut() -> None:
    assert query_of({"query": "  road\nmap  "}) == "road map"
    assert len(query_of({"query": "x" * 1000})) == MAX_QUERY_CHARS
    assert query_of({"query": 42}) == query_of({}) == ""


def test_results_are_capped_in_number_and_length_and_junk_is_skipped() -> None:
    data = found(*[f"message {i} " + "y" * 900 for i in range(20)])
    data["results"]["messages"].insert(0, "not a message")
    hits = hits_of(data, Limits(3, 5, 100))
    assert len(hits) == 5
    assert all(len(hit.content) <= 100 and hit.content.endswith("…") for hit in hits)
    assert hits_of({"ok": True}, LIMITS) == hits_of({"results": {"messages": "x"}}, LIMITS) == []


def test_claude_reads_channel_author_date_and_link_as_plain_text() -> None:
    hits = hits_of(found("Ship <b>it</b> in July"), LIMITS)
    text = result_text("roadmap", hits, {"U2": "Bo"})
    header, entry, content = text.splitlines()
    assert header.startswith("Slack messages matching “roadmap”")
    assert entry == f"[1] channel <#C1> · Bo · 2023-11-14 22:13 UTC · {LINK}0"
    assert content == "Ship <b>it</b> in July"
    assert result_text("nothing", [], {}) == NOTHING_FOUND.format(query="nothing")


def test_the_links_under_the_answer_are_numbered_after_the_web_sources_each_once() -> None:
    hits = [*hits_of(found("a", "b"), LIMITS), Hit("C1", "U2", "1700000000.000100", "again", f"{LINK}0")]
    slack = sources_of(hits, {"U2": "Bo"})
    assert [s.url for s in slack] == [f"{LINK}0", f"{LINK}1"]
    web = [Source("https://example.com/", "Example")]
    both = merged_sources(web, [*slack, web[0]])
    assert [s.url for s in both] == ["https://example.com/", f"{LINK}0", f"{LINK}1"]
    text = sources_text(both)
    assert text is not None and f"[2] <{LINK}0|Bo, 2023-11-14 22:13 UTC> — “a”" in text


def test_tool_calls_and_results_make_the_next_request() -> None:
    content = [
        {"type": "text", "text": "Looking."},
        {"type": "tool_use", "id": "toolu_1", "name": "search_slack", "input": {"query": "q"}},
        {"type": "tool_use", "id": "toolu_2", "name": "other", "input": {}},
    ]
    assert [c["id"] for c in calls_of(content)] == ["toolu_1"]
    params = {"model": "m", "messages": [{"role": "user", "content": "q"}]}
    after = with_results(continuation(params, content), [tool_result("toolu_1", "r")])
    assert [m["role"] for m in after["messages"]] == ["user", "assistant", "user"]
    assert after["messages"][-1]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "r"}
    ]
    assert tool_result("t", "no", error=True)["is_error"] is True


def test_a_second_pause_replaces_the_assistant_turn_it_continues() -> None:
    params = {"messages": [{"role": "user", "content": "q"}]}
    first = [{"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}}]
    once = continuation(params, first)
    twice = continuation(once, [*first, {"type": "text", "text": "more"}])
    assert len(twice["messages"]) == 2 and len(twice["messages"][-1]["content"]) == 2


def test_slack_search_is_set_for_the_workspace_by_admins_only() -> None:
    assert parse_feature("tools", "slack on") == Command("feature_set", "on", workspace=True, feature="slack")
    command = parse_feature("tools", "slack off")
    assert refusal(command, admin=False, channel_locked=False) is not None
    assert refusal(command, admin=True, channel_locked=False) is None
    choices = [Choice(WORKSPACE, "slack", True), Choice("C1", "slack", False)]
    assert layer(choices, "C1").enabled("slack"), "a channel's own choice doesn't count"
    assert layer(choices, "C1").layers["slack"] == "workspace"
    assert not layer([], "C1").enabled("slack"), "off by default"


def test_the_status_names_the_search() -> None:
    assert status_text("slack", "road <map>") == "is searching Slack for “road &lt;map&gt;”…"
    assert status_text("slack", "") == "is searching Slack…"


def test_an_action_token_never_reaches_the_logs() -> None:
    logged = redact("json_body: {'query': 'q', 'action_token': '1733.98765.abcd2358fdea'}")
    assert "abcd2358fdea" not in logged and REDACTED in logged


def test_the_question_itself_is_left_out_of_the_results() -> None:
    data = found("the question", "an answer")
    hits = hits_of(data, Limits(3, 1, 500), skip=("C1", "1700000000.000100"))
    assert [hit.content for hit in hits] == ["an answer"], "skipped before the cap"

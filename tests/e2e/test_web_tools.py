"""Web search, web fetch and extended thinking end to end: real Bolt, slack_sdk and anthropic
against the fakes, which stream server-tool blocks, citations and thinking as the API does."""

from __future__ import annotations

import json

import pytest

from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.fakes.claude import Reply
from bot.fakes.claude_tools import Fetch, Page, Say, Search, Think
from tests.conftest import Harness
from tests.e2e.test_admin import say

DOCS = Page("https://docs.example.com/release", "Example 2.0 released", "Example 2.0 came out on 1 May 2026.")
BLOG = Page("https://blog.example.org/post", "What's new in Example", "The new release adds streaming.")


@pytest.fixture
def admins(harness: Harness) -> Harness:
    harness.slack.add_user("UA", "ada", display_name="Ada", is_admin=True)
    return harness


async def ask(h: Harness, text: str, *, channel: str = "C1", turns: int) -> dict:
    message = await h.slack.user_says(h.url, channel, "U1", f"<@UBOT> {text}")
    await h.wait_for_turns(turns)
    return message


def statuses(h: Harness, channel: str, thread_ts: str) -> list[str]:
    return [
        s["status"] for s in h.slack.statuses if s["channel_id"] == channel and s["thread_ts"] == thread_ts
    ]


def answer_and_notices(h: Harness, channel: str, thread_ts: str) -> tuple[str, list[str]]:
    messages = h.slack.thread(channel, thread_ts)[1:]
    notes = [m for m in messages if (m.get("metadata") or {}).get("event_type") == NOTICE_EVENT_TYPE]
    answers = [m for m in messages if m not in notes]
    return "".join(m.get("text", "") for m in answers), [n.get("text", "") for n in notes]


@pytest.mark.parametrize("bot_database_url", ["sqlite", "postgresql"], indirect=True)
async def test_web_search_sends_the_tool_shows_the_search_cites_and_counts_it(admins: Harness) -> None:
    h = admins
    assert "on" in await say(h, "tools web on --workspace", user="UA")
    assert "3 uses" in await say(h, "tools web limit 3", user="UA")
    h.claude.tokens_per_second = 40  # text takes a moment after the tools, as it does for real
    h.claude.script(
        Reply(
            steps=(
                Say("Let me look that up."),
                Search("example latest release", results=(DOCS, BLOG)),
                Fetch(BLOG.url, page=BLOG),
                Say("Example 2.0 is the latest release.", cites=(DOCS.url, BLOG.url, DOCS.url)),
            )
        )
    )
    question = await ask(h, "what is the latest Example release?", turns=1)
    sent = h.claude.message_requests()[-1]
    tools = {tool["name"]: tool for tool in sent["tools"]}
    assert tools["web_search"]["type"] == h.settings.claude_web_search_tool
    assert tools["web_search"]["max_uses"] == 3 and tools["web_fetch"]["max_uses"] == 3
    assert tools["web_fetch"]["citations"] == {"enabled": True}

    shown = statuses(h, "C1", question["ts"])
    assert "is searching the web for “example latest release”…" in shown
    assert "is reading blog.example.org…" in shown

    answer, notes = answer_and_notices(h, "C1", question["ts"])
    assert "Example 2.0 is the latest release. [1][2]" in answer
    (sources,) = [n for n in notes if n.startswith("*Sources*")]
    assert f"[1] <{DOCS.url}|Example 2.0 released>" in sources
    assert f"[2] <{BLOG.url}|What's new in Example>" in sources
    assert sources.count(DOCS.url) == 1, "each page once"

    (row,) = await h.usage_rows()
    assert (row.web_search_requests, row.web_fetch_requests) == (1, 1)
    assert row.tool_tokens == h.settings.web_search_budget_tokens


async def test_with_web_off_no_tool_is_sent_and_no_search_happens(harness: Harness) -> None:
    h = harness
    h.claude.script(Reply(steps=(Search("anything", results=(DOCS,)), Say("From memory: 1.9."))))
    question = await ask(h, "latest release?", turns=1)
    sent = h.claude.message_requests()[-1]
    assert "tools" not in sent and "thinking" not in sent
    answer, notes = answer_and_notices(h, "C1", question["ts"])
    assert answer == "From memory: 1.9."
    assert not [n for n in notes if "Sources" in n]
    (row,) = await h.usage_rows()
    assert (row.web_search_requests, row.tool_tokens) == (0, 0)


async def test_a_tool_error_inside_a_result_becomes_one_line_of_a_clean_answer(harness: Harness) -> None:
    h = harness
    assert "on in this channel" in await say(h, "tools web on")
    h.claude.script(
        Reply(
            steps=(
                Search("status page", error="too_many_requests"),
                Fetch("https://status.example.com/", error="url_not_accessible"),
                Say("I couldn't check the status page just now."),
            )
        )
    )
    question = await ask(h, "is example down?", turns=1)
    answer, notes = answer_and_notices(h, "C1", question["ts"])
    assert answer.startswith("I couldn't check the status page just now.")
    (failure,) = [line for line in answer.splitlines() if "⚠️" in line]
    assert "too many searches right now" in failure and "couldn't be reached" in failure
    assert "error" not in answer.lower().replace("⚠️", ""), "no raw error codes"
    assert not [n for n in notes if "went wrong" in n.lower()]
    (row,) = await h.usage_rows()
    assert row.error_kind is None and row.web_search_requests == 0


async def test_thinking_stays_out_of_the_answer_and_its_tokens_reach_the_ledger(harness: Harness) -> None:
    h = harness
    assert "on in this channel" in await say(h, "thinking on")
    h.claude.tokens_per_second = 40  # thinking takes a moment, as it does for real
    secret = "Hmm, the user probably means version two; let me weigh that carefully"
    h.claude.script(Reply(steps=(Think(secret), Say("Version 2."))))
    question = await ask(h, "which version?", turns=1)
    sent = h.claude.message_requests()[-1]
    assert sent["thinking"]["type"] == h.settings.claude_thinking_type
    assert sent["max_tokens"] == h.settings.claude_max_tokens + h.settings.claude_thinking_budget_tokens
    answer, _ = answer_and_notices(h, "C1", question["ts"])
    assert answer == "Version 2."
    assert any(s.startswith("is thinking: Hmm") for s in statuses(h, "C1", question["ts"]))
    (row,) = await h.usage_rows()
    assert row.thinking_tokens > 0 and row.output_tokens >= row.thinking_tokens + 2

    await h.slack.user_says(h.url, "C1", "U1", "and why?", thread_ts=question["ts"])
    await h.wait_for_turns(2)
    replayed = h.claude.message_requests()[-1]["messages"]
    assert replayed[1] == {"role": "assistant", "content": [{"type": "text", "text": "Version 2."}]}, (
        "text only"
    )


@pytest.mark.parametrize("bot_database_url", ["sqlite", "postgresql"], indirect=True)
async def test_channel_and_workspace_layers_and_who_may_turn_on_a_workspace_cost(admins: Harness) -> None:
    h = admins
    refused = await say(h, "tools web on --workspace", user="U1")
    assert refused.startswith(
        "Only workspace admins and owners can change tools and thinking for every channel"
    )
    assert "Only workspace admins" in await say(h, "thinking on workspace", user="U1")
    assert "Only workspace admins" in await say(h, "tools web limit 9", user="U1")
    listing = await say(h, "tools", user="U1")
    assert "Web search and page reading (`/claude tools web`): off — off unless turned on." in listing

    await say(h, "tools web on --workspace", user="UA")
    await say(h, "tools web off", user="U1", channel="C2")
    await ask(h, "one", channel="C1", turns=1)
    assert "tools" in h.claude.message_requests()[-1], "C1 follows the workspace"
    await ask(h, "two", channel="C2", turns=2)
    assert "tools" not in h.claude.message_requests()[-1], "C2's own choice wins"
    assert "off — chosen for this channel" in await say(h, "tools", channel="C2")
    assert "follows the workspace's setting" in await say(h, "tools web reset", channel="C2")
    await ask(h, "three", channel="C2", turns=3)
    assert "tools" in h.claude.message_requests()[-1]

    await say(h, "prompt admins-only on", user="UA")
    assert "only admins and owners can change channel tools" in await say(h, "thinking on", channel="C2")


async def test_a_paused_turn_continues_with_its_content_sent_back(harness: Harness) -> None:
    h = harness
    await say(h, "tools web on")
    h.claude.script(
        Reply(stop_reason="pause_turn", steps=(Search("first", results=(DOCS,)),)),
        Reply(steps=(Say("Done after a pause."),)),
    )
    question = await ask(h, "research this", turns=2)
    first, second = h.claude.message_requests()[-2:]
    sent_back = second["messages"][-1]
    assert sent_back["role"] == "assistant"
    assert [b["type"] for b in sent_back["content"]] == ["server_tool_use", "web_search_tool_result"]
    assert sent_back["content"][0]["input"] == {"query": "first"}
    assert second["messages"][:-1] == first["messages"]
    answer, _ = answer_and_notices(h, "C1", question["ts"])
    assert answer == "Done after a pause."
    rows = await h.usage_rows()
    assert [r.stop_reason for r in rows] == ["pause_turn", "end_turn"]
    assert rows[0].web_search_requests == 1


async def test_pausing_for_ever_is_cut_at_the_limit(make_harness) -> None:  # type: ignore[no-untyped-def]
    h = await make_harness(claude_pause_turn_limit=2)
    await say(h, "tools web on")
    h.claude.script(
        *(Reply(stop_reason="pause_turn", steps=(Search(f"q{i}", results=(DOCS,)),)) for i in range(5))
    )
    question = await ask(h, "loop", turns=3)
    assert len(h.claude.message_requests()) == 3, "the first call and two continuations"
    _, notes = answer_and_notices(h, "C1", question["ts"])
    assert any(note.startswith("⏸ Claude was still looking things up") for note in notes)


async def test_usage_and_the_home_tab_show_searches_and_the_workspace_default(admins: Harness) -> None:
    h = admins
    await say(h, "tools web on --workspace", user="UA")
    await say(h, "thinking on", user="U1")
    h.claude.script(
        Reply(steps=(Think("Hmm."), Search("q", results=(DOCS,)), Say("Found it.", cites=(DOCS.url,))))
    )
    await ask(h, "find it", turns=1)
    header, today = (await say(h, "usage", user="UA")).splitlines()[2:4]
    assert header.split()[-2:] == ["searches", "pages"] and today.split()[-2:] == ["1", "0"]

    await h.slack.open_app_home(h.url, "UA")
    view = json.dumps(await h.slack.wait_for(lambda: h.slack.views.get("UA")), ensure_ascii=False)
    assert "Web search and page reading: *on* by default." in view
    assert "1 web search, 0 page reads" in view
    (row,) = await h.usage_rows()
    assert row.thinking_tokens > 0 and row.web_search_requests == 1

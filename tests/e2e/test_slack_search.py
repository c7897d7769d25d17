"""Slack search as the asker, end to end: real Bolt, slack_sdk and anthropic against the fakes.
The fake Slack puts an action token in each message event and answers `assistant.search.context`
with what that person can see; the fake Claude calls the client tool and checks that the next
request answers the call with a `tool_result`, as the API does."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.slack_search import LIMIT_REACHED, NO_TOKEN_NOTE
from bot.fakes.claude import Reply
from bot.fakes.claude_tools import Call, Page, Say, Search
from bot.store import workspace_settings
from bot.store.models import TokenReservation, utcnow
from tests.conftest import Harness, wait_until
from tests.e2e.test_admin import say
from tests.e2e.test_web_tools import answer_and_notices, statuses

SEARCH = "assistant.search.context"


def workspace(h: Harness) -> dict[str, dict[str, Any]]:
    """An asker (U1) in a DM with the bot; a public channel; a private channel U1 is in; one U1 is
    not in. Each holds a message about the roadmap."""
    slack = h.slack
    slack.add_user("UA", "ada", display_name="Ada", is_admin=True)
    slack.add_user("U1", "una", display_name="Una")
    slack.add_user("U2", "bo", display_name="Bo")
    slack.add_channel("D1", is_im=True, user="U1")
    slack.add_channel("C1", "general")
    slack.add_channel("GMINE", "team-una", is_private=True, members=["U1", "U2"])
    slack.add_channel("GHIDDEN", "board", is_private=True, members=["U2", "UBOT"])
    return {
        "public": slack.post_message("C1", "U2", "The roadmap for Q3 is on the wiki."),
        "mine": slack.post_message("GMINE", "U2", "Roadmap draft: ship search in July."),
        "hidden": slack.post_message("GHIDDEN", "U2", "Secret roadmap: we sell the company."),
    }


async def turn_on(h: Harness) -> None:
    assert "Slack search is on in every channel" in await say(h, "tools slack on", user="UA")


async def ask_in_dm(h: Harness, text: str, *, turns: int) -> dict[str, Any]:
    message = await h.slack.user_says(h.url, "D1", "U1", text)
    await h.wait_for_turns(turns)
    return message


def searches(h: Harness) -> list[Any]:
    return h.slack.calls_to(SEARCH)


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    last = body["messages"][-1]
    assert last["role"] == "user"
    return [block for block in last["content"] if block.get("type") == "tool_result"]


@pytest.mark.parametrize("bot_database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_search_runs_as_the_asker_with_the_events_token_and_links_what_it_used(
    harness: Harness,
) -> None:
    h = harness
    posted = workspace(h)
    await turn_on(h)
    h.claude.script(
        Reply(steps=(Say("Let me look in Slack."), Call("search_slack", {"query": "roadmap"}))),
        Reply(steps=(Say("The Q3 roadmap is on the wiki; search ships in July."),)),
    )
    question = await ask_in_dm(h, "what's on the roadmap?", turns=2)

    (event,) = [d.body["event"] for d in h.slack.deliveries if d.kind == "event"]
    (call,) = searches(h)
    assert call.params["action_token"] == event["action_token"], "the token of the event that asked"
    assert call.params["query"] == "roadmap"
    assert call.params["channel_types"] == "public_channel,private_channel,mpim,im", "a DM: all U1 sees"

    first, second = h.claude.message_requests()
    assert [tool["name"] for tool in first["tools"]] == ["search_slack"]
    (result,) = tool_results(second)
    assert result["tool_use_id"] == second["messages"][-2]["content"][-1]["id"]
    sent = json.dumps(second)
    assert "ship search in July" in sent and "on the wiki" in sent
    assert "sell the company" not in sent and "GHIDDEN" not in sent, "never a conversation U1 isn't in"
    assert "Bo" in result["content"], "authors by name"

    assert "is searching Slack for “roadmap”…" in statuses(h, "D1", question["ts"])
    answer, notes = answer_and_notices(h, "D1", question["ts"])
    assert answer == "Let me look in Slack.\n\nThe Q3 roadmap is on the wiki; search ships in July."
    (sources,) = [n for n in notes if n.startswith("*Sources*")]
    assert h.slack.permalink("C1", posted["public"]["ts"]) in sources
    assert h.slack.permalink("GMINE", posted["mine"]["ts"]) in sources
    assert "GHIDDEN" not in sources
    rows = await h.usage_rows()
    assert [r.stop_reason for r in rows] == ["tool_use", "end_turn"], "a ledger row per call"


async def test_in_a_channel_only_public_channels_are_searched(harness: Harness) -> None:
    h = harness
    workspace(h)
    await turn_on(h)
    h.claude.script(
        Reply(steps=(Call("search_slack", {"query": "roadmap"}),)), Reply(steps=(Say("On the wiki."),))
    )
    await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> where is the roadmap?")
    await h.wait_for_turns(2)
    (call,) = searches(h)
    assert call.params["channel_types"] == "public_channel", "nothing private repeated before others"
    sent = json.dumps(h.claude.message_requests()[-1])
    assert "on the wiki" in sent and "ship search in July" not in sent


async def test_off_by_default_no_tool_is_sent_and_nothing_is_searched(harness: Harness) -> None:
    h = harness
    workspace(h)
    assert "Slack search (`/claude tools slack`): off" in await say(h, "tools", user="U1")
    h.claude.script(Reply(steps=(Call("search_slack", {"query": "roadmap"}), Say("From memory."))))
    question = await ask_in_dm(h, "what's on the roadmap?", turns=1)
    assert "tools" not in h.claude.message_requests()[-1]
    assert not searches(h)
    answer, _ = answer_and_notices(h, "D1", question["ts"])
    assert answer == "From memory."


async def test_only_admins_switch_it_and_only_for_the_whole_workspace(harness: Harness) -> None:
    h = harness
    workspace(h)
    refused = await say(h, "tools slack on", user="U1")
    assert refused.startswith("Only workspace admins and owners can change"), refused
    assert "off" in await say(h, "tools", user="U1")
    await turn_on(h)
    shown = await say(h, "tools", user="U1", channel="C1")
    assert "Slack search (`/claude tools slack`): *on* — the workspace's setting." in shown
    assert "Only workspace admins" in await say(h, "tools slack off", user="U1", channel="C1")
    await h.slack.open_app_home(h.url, "UA")
    view = json.dumps(await h.slack.wait_for(lambda: h.slack.views.get("UA")), ensure_ascii=False)
    assert "Slack search: *on* by default." in view


async def test_without_an_action_token_nothing_is_searched_and_the_answer_says_so(harness: Harness) -> None:
    h = harness
    workspace(h)
    await turn_on(h)
    h.claude.script(
        Reply(steps=(Call("search_slack", {"query": "roadmap"}),)),
        Reply(steps=(Say("I can't look that up from here."),)),
    )
    message = h.slack.post_message("D1", "U1", "what's on the roadmap?")
    redelivered = {
        "type": "message",
        "user": "U1",
        "text": message["text"],
        "ts": message["ts"],
        "team": h.slack.team_id,
        "channel": "D1",
        "channel_type": "im",
        "event_ts": message["ts"],
    }
    status, _ = await h.slack.send_event(h.url, redelivered)
    assert status == 200
    await h.wait_for_turns(2)
    assert not searches(h)
    (result,) = tool_results(h.claude.message_requests()[-1])
    assert result.get("is_error") and "isn't available for this request" in result["content"]
    answer, _ = answer_and_notices(h, "D1", message["ts"])
    assert answer.splitlines()[0] == "I can't look that up from here."
    assert NO_TOKEN_NOTE in answer


async def test_asking_for_more_searches_than_the_cap_runs_only_the_cap(harness: Harness) -> None:
    h = harness
    workspace(h)
    await turn_on(h)
    cap = h.settings.slack_search_max_uses
    h.claude.script(
        *(Reply(steps=(Call("search_slack", {"query": f"roadmap {i}"}),)) for i in range(cap + 2))
    )
    question = await ask_in_dm(h, "search everything", turns=cap + 2)
    assert len(searches(h)) == cap, "the fake Slack sees at most the cap"
    requests = h.claude.message_requests()
    assert len(requests) == cap + 2, "the cap's rounds, one to say the limit is reached, then it stops"
    (refusal,) = tool_results(requests[-1])
    assert refusal["content"] == LIMIT_REACHED
    _, notes = answer_and_notices(h, "D1", question["ts"])
    assert any("limit of searches" in note for note in notes)


async def test_twenty_long_results_are_cut_to_the_characters_allowed(make_harness: Any) -> None:
    h = await make_harness(slack_search_results=20)
    workspace(h)
    await turn_on(h)
    for i in range(25):
        h.slack.post_message("C1", "U2", f"budget line {i} " + "x" * 5_000)
    h.claude.script(
        Reply(steps=(Call("search_slack", {"query": "budget"}),)), Reply(steps=(Say("Plenty of lines."),))
    )
    await ask_in_dm(h, "how much is left?", turns=2)
    (call,) = searches(h)
    assert int(call.params["limit"]) == 20
    (result,) = tool_results(h.claude.message_requests()[-1])
    text = result["content"]
    entries = [line for line in text.splitlines() if line.startswith("budget line")]
    assert len(entries) == 20
    assert all(len(line) <= h.settings.slack_search_result_chars for line in entries)
    assert len(text) < 20 * (h.settings.slack_search_result_chars + 200)


async def test_an_expired_token_tells_claude_the_search_failed_and_the_answer_goes_on(
    harness: Harness,
) -> None:
    h = harness
    workspace(h)
    await turn_on(h)
    h.slack.action_token_lifetime = 0.0
    h.claude.script(
        Reply(steps=(Call("search_slack", {"query": "roadmap"}),)),
        Reply(steps=(Say("Search failed, sorry."),)),
    )
    question = await ask_in_dm(h, "what's on the roadmap?", turns=2)
    (call,) = searches(h)
    assert call.ok is False
    (result,) = tool_results(h.claude.message_requests()[-1])
    assert result.get("is_error") and "failed (invalid_action_token)" in result["content"]
    answer, notes = answer_and_notices(h, "D1", question["ts"])
    assert answer == "Search failed, sorry."
    assert not [n for n in notes if n.startswith("*Sources*")]


async def test_web_pages_and_slack_messages_share_one_numbered_list(harness: Harness) -> None:
    h = harness
    posted = workspace(h)
    await turn_on(h)
    await say(h, "tools web on", user="U1", channel="D1")
    page = Page("https://example.com/roadmap", "Public roadmap", "Our public roadmap.")
    h.claude.script(
        Reply(steps=(Search("roadmap", results=(page,)), Call("search_slack", {"query": "roadmap"}))),
        Reply(steps=(Say("Both say July.", cites=(page.url,)),)),
    )
    question = await ask_in_dm(h, "roadmap?", turns=2)
    first, second = h.claude.message_requests()
    assert [tool["name"] for tool in first["tools"]] == ["web_search", "web_fetch", "search_slack"]
    assert "roadmap?" not in tool_results(second)[0]["content"], "the question itself is no result"
    answer, notes = answer_and_notices(h, "D1", question["ts"])
    assert answer == "Both say July. [1]"
    (sources,) = [n for n in notes if n.startswith("*Sources*")]
    links = [line for line in sources.splitlines() if line.startswith("[")]
    assert links[0].startswith(f"[1] <{page.url}|Public roadmap>"), "the web's numbers stay the markers'"
    assert links[1].startswith("[2] <" + h.slack.permalink("GMINE", posted["mine"]["ts"]))
    assert links[2].startswith("[3] <" + h.slack.permalink("C1", posted["public"]["ts"]))
    assert len(links) == 3


async def test_many_calls_in_one_answer_each_get_a_result_but_only_the_cap_search(harness: Harness) -> None:
    h = harness
    workspace(h)
    await turn_on(h)
    cap = h.settings.slack_search_max_uses
    calls = tuple(Call("search_slack", {"query": f"roadmap {i}"}) for i in range(cap + 4))
    h.claude.script(Reply(steps=calls), Reply(steps=(Say("Enough."),)))
    await ask_in_dm(h, "search a lot at once", turns=2)
    assert len(searches(h)) == cap
    results = tool_results(h.claude.message_requests()[-1])
    assert len(results) == cap + 4, "every call answered, as the API requires"
    assert [r["content"] for r in results[cap:]] == [LIMIT_REACHED] * 4


async def test_each_search_round_reserves_its_call_against_the_budget_before_it_goes(
    harness: Harness,
) -> None:
    """Another answer takes the rest of the month's budget while Claude asks for a search: the
    search's round is not sent, the answer so far stays, the budget says why, and the first call's
    row settles its own reservation."""
    h = harness
    workspace(h)
    await turn_on(h)
    await workspace_settings.update_workspace(
        h.db, h.slack.team_id, enterprise_id=None, updated_by="UA", monthly_token_budget=50_000
    )
    h.claude.ttft = 0.5
    h.claude.script(
        Reply(steps=(Say("Let me look in Slack."), Call("search_slack", {"query": "roadmap"}))),
        Reply(steps=(Say("Never sent."),)),
    )
    question = await h.slack.user_says(h.url, "D1", "U1", "what's on the roadmap?")
    await wait_until(lambda: h.claude.message_requests(), 10, "the first call")
    now = utcnow()
    async with h.db.session() as session:
        session.add(
            TokenReservation(
                id="another-answer",
                team_id=h.slack.team_id,
                tokens=49_000,
                created_at=now,
                expires_at=now + timedelta(minutes=30),
            )
        )
        await session.commit()
    [row] = await h.wait_for_turns(1)
    answer, notes = await wait_for_notes(h, question["ts"])
    assert len(h.claude.message_requests()) == 1, "the round after the search was never sent"
    assert answer.startswith("Let me look in Slack.")
    assert any("budget" in note for note in notes)
    assert row.stop_reason == "tool_use"
    async with h.db.session() as session:
        held = (await session.execute(select(TokenReservation.id))).scalars().all()
    assert held == ["another-answer"], "the first call's reservation was settled by its row"


async def wait_for_notes(h: Harness, thread_ts: str) -> tuple[str, list[str]]:
    await wait_until(lambda: answer_and_notices(h, "D1", thread_ts)[1], 10, "the budget notice")
    return answer_and_notices(h, "D1", thread_ts)

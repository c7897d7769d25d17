"""`/claude summarize` end to end: members only, privately, long histories condensed in parts."""

from __future__ import annotations

import json

from bot.fakes.claude import Reply
from bot.flows.channel_summary import HISTORY_PAGE_SIZE, HISTORY_PAGES, NOT_BOTH
from tests.conftest import Harness
from tests.e2e.test_shortcuts import dm_roots


def told(h: Harness, user: str = "U1") -> list[str]:
    return [e["text"] for e in h.slack.ephemeral if e["user"] == user]


async def test_a_channels_day_is_summarized_privately(harness: Harness) -> None:
    harness.slack.clock_timestamps = True
    said = ["Deploy is frozen until Friday.", "Who reviews the billing PR?", "I will, tomorrow."]
    for user, text in zip(("U2", "U3", "U2"), said, strict=True):
        harness.slack.post_message("C1", user, text)
    harness.claude.script("• Deploys frozen until Friday\n• Bob reviews the billing PR")
    status, _ = await harness.slack.slash_command(harness.url, "summarize", user="U1", channel="C1")
    assert status == 200
    [row] = await harness.wait_for_turns(1)

    assert "Summarizing <#C1>" in told(harness)[0]
    [request] = harness.claude.message_requests()
    sent = json.dumps(request, ensure_ascii=False)
    assert all(text in sent for text in said)
    [root] = dm_roots(harness, "U1")
    replies = [m["text"] for m in harness.slack.bot_messages("D1", root["ts"]) if m["ts"] != root["ts"]]
    assert replies[0].startswith("• Deploys frozen until Friday")
    assert harness.slack.bot_messages("C1") == [], "nothing is said in the channel"
    assert (row.channel_id, row.user_id) == ("D1", "U1")
    assert len(harness.slack.calls_to("conversations.history")) == 1


async def test_a_channel_the_asker_is_not_in_is_refused_politely(harness: Harness) -> None:
    harness.slack.clock_timestamps = True
    harness.slack.add_channel("C3", "leadership", members=["U2", "UBOT"])
    harness.slack.post_message("C3", "U2", "Reorg announcement draft")
    await harness.slack.slash_command(harness.url, "summarize <#C3|leadership> 3d", user="U1", channel="C1")
    said = await harness.slack.wait_for(lambda: told(harness))
    assert said == [NOT_BOTH]
    assert harness.slack.calls_to("conversations.history") == [] and harness.claude.message_requests() == []
    assert dm_roots(harness, "U1") == []


async def test_a_channel_without_the_bot_asks_to_invite_it(harness: Harness) -> None:
    harness.slack.add_channel("C4", "design", members=["U1", "U2"])
    await harness.slack.slash_command(harness.url, "summarize <#C4|design>", user="U1", channel="C1")
    said = await harness.slack.wait_for(lambda: told(harness))
    assert "invite me there" in said[0]
    assert harness.slack.calls_to("conversations.history") == []


async def test_a_long_history_is_condensed_in_parts_with_progress_and_ledger(make_harness) -> None:
    """Hostile: more messages than the pages allow, and far more text than one request holds."""
    harness = await make_harness(
        claude_context_window=10_000, claude_max_tokens=1_000, context_margin_tokens=1_000
    )
    harness.slack.clock_timestamps = True
    total = HISTORY_PAGES * HISTORY_PAGE_SIZE + 150
    for i in range(total):
        harness.slack.post_message("C1", "U2" if i % 2 else "U3", f"message {i}: " + "status update " * 5)
    harness.claude.script(*[Reply(text=f"notes {n}") for n in range(20)])
    await harness.slack.slash_command(harness.url, "summarize 1d", user="U1", channel="C1")
    await harness.slack.wait_for(lambda: [r for r in harness.slack.ephemeral if "Summarizing" in r["text"]])

    async def done() -> bool:
        requests = harness.claude.message_requests()
        return bool(requests) and "Summarize what happened" in json.dumps(requests[-1])

    await harness.slack.wait_for(done, timeout=30)
    requests = harness.claude.message_requests()
    rows = await harness.wait_for_turns(len(requests))
    assert len(rows) == len(requests) >= 3, "every call, condensing included, is in the ledger"
    assert len(harness.slack.calls_to("conversations.history")) == HISTORY_PAGES
    condensed = requests[:-1]
    assert all("Condense part" in json.dumps(r) for r in condensed)
    sent = json.dumps(condensed, ensure_ascii=False)
    assert f"message {total - 1}:" in sent, "the newest messages are read"
    assert "message 0:" not in sent, "beyond the pages nothing is read"
    [root] = dm_roots(harness, "U1")
    progress = [s["status"] for s in harness.slack.statuses if s["thread_ts"] == root["ts"]]
    assert f"is reading #general: part 1 of {len(condensed)}…" in progress
    final = json.dumps(requests[-1], ensure_ascii=False)
    assert "notes 0" in final and "status update" not in final, "the summary is written from the notes"


async def test_a_spent_budget_stops_a_long_summary_with_the_budgets_words(make_harness) -> None:
    small = {"claude_context_window": 10_000, "claude_max_tokens": 1_000, "context_margin_tokens": 1_000}
    harness = await make_harness(**small, monthly_token_budget=50)
    harness.slack.clock_timestamps = True
    for i in range(400):
        harness.slack.post_message("C1", "U2", f"message {i}: " + "status update " * 5)
    await harness.slack.slash_command(harness.url, "summarize", user="U1", channel="C1")
    [root] = await harness.slack.wait_for(lambda: dm_roots(harness, "U1"))
    note = await harness.slack.wait_for(
        lambda: [m for m in harness.slack.thread("D1", root["ts"]) if m["ts"] != root["ts"]]
    )
    assert "budget" in note[0]["text"]
    assert harness.claude.message_requests() == [], "no call the budget can't hold"

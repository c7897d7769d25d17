"""Message shortcuts end to end, on a thread the bot was never called into: Claude gets the whole
thread, and the answer reaches only the person who asked, in their DM with the app."""

from __future__ import annotations

import json

from bot.core.permalinks import SHORTCUT_MESSAGES
from bot.core.shortcuts import Shortcut
from bot.slack.linked import THREAD_CALLS
from tests.conftest import Harness
from tests.e2e.test_core_loop import bot_replies

THREAD = (
    ("U2", "Which database should the billing service use?"),
    ("U3", "Postgres: we run it everywhere already."),
    ("U2", "Fine, Postgres. Carol sets it up next week."),
)


def quiet_thread(h: Harness, channel: str = "C2") -> list[dict]:
    """A thread nobody mentioned the bot in: stored, never delivered to it."""
    root = h.slack.post_message(channel, *THREAD[0])
    replies = [h.slack.post_message(channel, user, text, thread_ts=root["ts"]) for user, text in THREAD[1:]]
    return [root, *replies]


def dm_roots(h: Harness, user: str) -> list[dict]:
    dm = h.slack.dm_with(user)
    messages = h.slack.messages(dm) if dm else []
    return [m for m in messages if m.get("thread_ts", m["ts"]) == m["ts"]]


def answers(h: Harness, root: dict) -> list[str]:
    """The bot's answers under a private thread's first message."""
    return [m["text"] for m in bot_replies(h, "D1", root["ts"]) if m["ts"] != root["ts"]]


async def use(h: Harness, shortcut: Shortcut, message: dict, channel: str = "C2", user: str = "U1") -> None:
    status, _ = await h.slack.message_shortcut(
        h.url, user=user, channel=channel, message_ts=message["ts"], callback_id=shortcut.value
    )
    assert status == 200


def assert_whole_thread_sent(h: Harness, request: dict) -> None:
    sent = json.dumps(request, ensure_ascii=False)
    for _, text in THREAD:
        assert text in sent


async def test_summarize_thread_reads_it_all_and_answers_privately(harness: Harness) -> None:
    messages = quiet_thread(harness)
    harness.claude.script("Postgres was chosen; Carol sets it up next week.")
    await use(harness, Shortcut.SUMMARIZE, messages[1])
    [row] = await harness.wait_for_turns(1)

    [request] = harness.claude.message_requests()
    assert_whole_thread_sent(harness, request)
    assert "Summarize the Slack thread" in json.dumps(request)
    [root] = dm_roots(harness, "U1")
    assert harness.slack.permalink("C2", messages[1]["ts"]) in root["text"], "a link back to the thread"
    assert answers(harness, root) == ["Postgres was chosen; Carol sets it up next week."]
    assert harness.slack.bot_messages("C2") == [], "nothing is said in the channel"
    assert (row.channel_id, row.user_id) == ("D1", "U1")


async def test_translate_answers_in_the_askers_slack_language(harness: Harness) -> None:
    messages = quiet_thread(harness)
    harness.slack.users["U1"]["locale"] = "fr-FR"
    harness.claude.script("Quelle base de données …")
    await use(harness, Shortcut.TRANSLATE, messages[0])
    await harness.wait_for_turns(1)

    [request] = harness.claude.message_requests()
    assert_whole_thread_sent(harness, request)
    assert "into French" in json.dumps(request)
    [lookup] = [c for c in harness.slack.calls_to("users.info") if c.params.get("include_locale")]
    assert lookup.params["user"] == "U1"
    [root] = dm_roots(harness, "U1")
    assert "in French" in root["text"]
    assert answers(harness, root) == ["Quelle base de données …"]


async def test_ask_about_this_opens_a_private_thread_and_waits_for_the_question(harness: Harness) -> None:
    messages = quiet_thread(harness)
    await use(harness, Shortcut.ASK, messages[2])
    [root] = await harness.slack.wait_for(lambda: dm_roots(harness, "U1"))
    assert harness.claude.message_requests() == [], "nothing is asked until the person asks"

    harness.claude.script("Carol does.")
    await harness.slack.user_says(harness.url, "D1", "U1", "Who sets it up?", thread_ts=root["ts"])
    await harness.wait_for_turns(1)
    [request] = harness.claude.message_requests()
    assert_whole_thread_sent(harness, request)
    question = [block["text"] for block in request["messages"][-1]["content"]]
    assert "Alice: Who sets it up?" in question and question[-1].startswith("<slack_link")
    assert answers(harness, root) == ["Carol does."]

    harness.slack.post_message("C2", "U3", "Update: Dave sets it up instead.", thread_ts=messages[0]["ts"])
    await harness.slack.user_says(harness.url, "D1", "U1", "And now?", thread_ts=root["ts"])
    await harness.wait_for_turns(2)
    assert "Dave sets it up instead" in json.dumps(harness.claude.message_requests()[-1])


async def test_a_shortcut_where_the_bot_is_not_a_member_is_refused_politely(harness: Harness) -> None:
    harness.slack.add_channel("C3", "design", members=["U1", "U2"])
    root = harness.slack.post_message("C3", "U2", "Mockups are in Figma.")
    await use(harness, Shortcut.SUMMARIZE, root, channel="C3")
    said = await harness.slack.wait_for(lambda: [e for e in harness.slack.ephemeral if e["user"] == "U1"])
    assert "invite me there" in said[0]["text"] and said[0]["response_type"] == "ephemeral"
    assert harness.claude.message_requests() == [] and dm_roots(harness, "U1") == []


async def test_summarize_reads_a_long_thread_whole_and_a_huge_one_bounded(harness: Harness) -> None:
    """Hostile: 300 replies come whole; 2,500 come as the first message and the newest, in at
    most `THREAD_CALLS` reads, never more than `SHORTCUT_MESSAGES` messages."""
    long_root = harness.slack.post_message("C2", "U2", "long thread")
    for i in range(300):
        harness.slack.post_message("C2", "U3", f"long reply {i}", thread_ts=long_root["ts"])
    await use(harness, Shortcut.SUMMARIZE, long_root)
    await harness.wait_for_turns(1)
    sent = json.dumps(harness.claude.message_requests()[-1])
    assert sent.count("long reply") == 300, "every reply reaches Claude"

    huge_root = harness.slack.post_message("C2", "U2", "huge thread")
    for i in range(2_500):
        harness.slack.post_message("C2", "U3", f"huge reply {i}", thread_ts=huge_root["ts"])
    before = len(harness.slack.calls)
    await use(harness, Shortcut.SUMMARIZE, huge_root)
    await harness.wait_for_turns(2)
    sent = json.dumps(harness.claude.message_requests()[-1])
    assert "huge thread" in sent and "huge reply 2499" in sent
    assert sent.count("huge reply") <= SHORTCUT_MESSAGES - 1
    assert "replies in between left out" in sent
    reads = [
        c
        for c in harness.slack.calls[before:]
        if c.method == "conversations.replies" and c.params.get("channel") == "C2"
    ]
    assert len(reads) <= THREAD_CALLS

"""Slack message links in a question, end to end: read with the asker's access, never more."""

from __future__ import annotations

import json

from bot.core.permalinks import MAX_LINKS, MESSAGES_PER_LINK
from bot.slack.access import MEMBER_PAGES
from bot.slack.linked import THREAD_CALLS
from tests.conftest import Harness
from tests.e2e.test_core_loop import notices

SECRET = "Project Nightjar: we acquire Initech on the 14th"


def sent_to_claude(h: Harness) -> str:
    return json.dumps(h.claude.message_requests(), ensure_ascii=False)


def reads_of(h: Harness, channel: str) -> list:
    return [
        call
        for call in h.slack.calls_to("conversations.replies", "conversations.history")
        if call.params.get("channel") == channel
    ]


async def ask(h: Harness, text: str, channel: str = "C1", user: str = "U1") -> str:
    """Alice mentions the bot with `text`; the thread's ts once answered (ledger row written)."""
    rows = len(await h.usage_rows())
    question = await h.slack.user_says(h.url, channel, user, f"<@UBOT> {text}")
    await h.wait_for_turns(rows + 1)
    return str(question["ts"])


def links_notice(h: Harness, channel: str, thread_ts: str) -> str:
    [note] = [n for n in notices(h, channel, thread_ts) if n["metadata"]["event_payload"]["kind"] == "links"]
    return str(note["text"])


async def test_a_public_channel_message_link_reaches_claude(harness: Harness) -> None:
    said = harness.slack.post_message("C2", "U2", "The launch moved to Thursday, 10:00 UTC.")
    link = harness.slack.permalink("C2", said["ts"])
    thread = await ask(harness, f"what does <{link}> mean for us?")

    [request] = harness.claude.message_requests()
    question = request["messages"][-1]["content"]
    assert question[0]["text"].startswith("Alice: what does")
    assert "Bob: The launch moved to Thursday, 10:00 UTC." in question[1]["text"]
    assert f'url="{link}"' in question[1]["text"]
    note = links_notice(harness, "C1", thread)
    assert "link 1 (<#C2>): read the message" in note


async def test_a_private_channel_the_asker_is_not_in_sends_nothing_to_claude(harness: Harness) -> None:
    """Mandatory: the bot is in the private channel, Alice isn't. Nothing of it reaches Claude,
    nothing of it is even read, and the answer says the link wasn't read."""
    harness.slack.add_channel("G1", "deals", is_private=True, members=["U2", "UBOT"])
    secret = harness.slack.post_message("G1", "U2", SECRET)
    harness.slack.post_message("G1", "U2", "keep this quiet", thread_ts=secret["ts"])
    link = harness.slack.permalink("G1", secret["ts"])
    thread = await ask(harness, f"summarize this thread please <{link}>")

    sent = sent_to_claude(harness)
    assert "Nightjar" not in sent and "Initech" not in sent and "quiet" not in sent
    assert "deals" not in sent and "G1" not in sent.replace(link, "")
    assert reads_of(harness, "G1") == [], "nothing of the private channel is read"
    note = links_notice(harness, "C1", thread)
    assert "link 1: not read, it isn't in a conversation both you and I can see" in note
    assert "deals" not in note and "G1" not in note and "Nightjar" not in note
    [members] = harness.slack.calls_to("conversations.members")
    assert members.params["channel"] == "G1", "membership was asked of Slack, not guessed"


async def test_a_private_channel_the_asker_is_in_is_read(harness: Harness) -> None:
    harness.slack.add_channel("G2", "team-leads", is_private=True, members=["U1", "U2", "UBOT"])
    said = harness.slack.post_message("G2", "U2", "Budget review is on Monday.")
    thread = await ask(harness, f"when? <{harness.slack.permalink('G2', said['ts'])}>")
    assert "Budget review is on Monday." in sent_to_claude(harness)
    assert "read the message" in links_notice(harness, "C1", thread)


async def test_someone_elses_dm_is_not_read(harness: Harness) -> None:
    """A DM between two other people (the bot isn't in it), and Bob's own DM with the bot: Alice
    pasting either link gets neither read."""
    harness.slack.add_channel("D9", is_im=True, user="U3", members=["U2", "U3"])
    between = harness.slack.post_message("D9", "U2", "my salary is 123k")
    harness.slack.add_channel("D2", is_im=True, user="U2")
    with_bot = harness.slack.post_message("D2", "U2", "my password hint is lighthouse")
    links = [harness.slack.permalink("D9", between["ts"]), harness.slack.permalink("D2", with_bot["ts"])]
    thread = await ask(harness, f"what do these say? <{links[0]}> and <{links[1]}>")

    sent = sent_to_claude(harness)
    assert "salary" not in sent and "lighthouse" not in sent
    assert reads_of(harness, "D9") == [] and reads_of(harness, "D2") == []
    note = links_notice(harness, "C1", thread)
    assert note.count("not read, it isn't in a conversation both you and I can see") == 2


async def test_own_dm_with_the_bot_can_be_linked(harness: Harness) -> None:
    said = harness.slack.post_message("D1", "U1", "note to self: renew the TLS certificate")
    await ask(harness, f"remind me <{harness.slack.permalink('D1', said['ts'])}>")
    assert "renew the TLS certificate" in sent_to_claude(harness)


async def test_a_reply_link_brings_its_thread_when_the_question_is_about_the_thread(harness: Harness) -> None:
    root = harness.slack.post_message("C2", "U2", "Which database for the new service?")
    harness.slack.post_message("C2", "U3", "Postgres, we know it well.", thread_ts=root["ts"])
    reply = harness.slack.post_message("C2", "U2", "Agreed, Postgres it is.", thread_ts=root["ts"])
    link = harness.slack.permalink("C2", reply["ts"])
    assert "thread_ts=" in link

    await ask(harness, f"what did <{link}> say?")
    only = sent_to_claude(harness)
    assert "Agreed, Postgres it is." in only and "we know it well" not in only, "the message alone"

    await ask(harness, f"what did this thread decide? <{link}>")
    whole = json.dumps(harness.claude.message_requests()[-1], ensure_ascii=False)
    said = ("Which database for the new service?", "Postgres, we know it well.", "Agreed, Postgres it is.")
    assert all(text in whole for text in said)


async def test_links_and_messages_per_link_are_bounded(harness: Harness) -> None:
    """Hostile: twenty links in one question, one of them to a 600-message thread, and a private
    channel whose member list runs to many pages without the asker."""
    root = harness.slack.post_message("C2", "U2", "the long thread starts")
    for i in range(600):
        harness.slack.post_message("C2", "U3", f"reply number {i}", thread_ts=root["ts"])
    crowd = [f"UX{i:05d}" for i in range(MEMBER_PAGES * 1000 + 500)]
    harness.slack.add_channel("G3", "crowd", is_private=True, members=[*crowd, "UBOT"])
    crowded = harness.slack.post_message("G3", "U2", "crowd secret")
    others = [harness.slack.post_message("C2", "U2", f"filler {i}") for i in range(18)]
    links = [
        harness.slack.permalink("C2", root["ts"]),
        harness.slack.permalink("G3", crowded["ts"]),
        *(harness.slack.permalink("C2", m["ts"]) for m in others),
    ]
    thread = await ask(harness, "summarize the thread " + " ".join(f"<{link}>" for link in links))

    sent = json.dumps(harness.claude.message_requests()[-1], ensure_ascii=False)
    assert "crowd secret" not in sent
    assert sent.count("reply number") <= MESSAGES_PER_LINK - 1
    assert "reply number 599" in sent, "the newest replies are kept"
    followed = {call.params["channel"] for call in harness.slack.calls_to("conversations.info")}
    assert followed == {"C2", "G3"}, "only the first links are followed"
    assert len(harness.slack.calls_to("conversations.info")) <= MAX_LINKS, "identical checks share a call"
    assert len(harness.slack.calls_to("conversations.members")) == MEMBER_PAGES
    assert len(reads_of(harness, "C2")) <= THREAD_CALLS * (MAX_LINKS - 1)
    assert "filler 17" not in sent and "filler 0" in sent
    note = links_notice(harness, "C1", thread)
    assert note.count(f"I follow at most {MAX_LINKS} links per question") == len(links) - MAX_LINKS


async def test_when_slack_cant_say_who_may_see_a_link_nothing_is_read(harness: Harness) -> None:
    said = harness.slack.post_message("C2", "U2", "The launch moved to Thursday.")
    harness.slack.faults["conversations.info"] = ["internal_error"]
    thread = await ask(harness, f"and this? <{harness.slack.permalink('C2', said['ts'])}>")
    assert "launch moved" not in sent_to_claude(harness)
    assert reads_of(harness, "C2") == []
    assert "link 1: not read, Slack couldn't be asked just now" in links_notice(harness, "C1", thread)

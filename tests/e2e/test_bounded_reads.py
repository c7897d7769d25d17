"""A turn reads only what it needs, end to end: history calls, name lookups and file downloads
are counted on the fake Slack while hostile threads still get their answer."""

from __future__ import annotations

import re

from tests.conftest import Harness
from tests.e2e.test_core_loop import bot_replies, notices
from tests.files import samples


def history_calls(h: Harness) -> int:
    return len(h.slack.calls_to("conversations.replies"))


async def test_a_new_mention_and_a_new_dm_read_no_history(harness: Harness) -> None:
    harness.claude.script("hello", "hi again")
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> what's new?")
    await harness.wait_for_turns(1)
    dm = await harness.slack.user_says(harness.url, "D1", "U1", "hello there")
    await harness.wait_for_turns(2)
    assert history_calls(harness) == 0
    assert bot_replies(harness, "C1", mention["ts"])[0]["text"] == "hello"
    assert bot_replies(harness, "D1", dm["ts"])[0]["text"] == "hi again"
    assert [r["messages"][0]["content"][0]["text"] for r in harness.claude.message_requests()] == [
        "Alice: what's new?",
        "Alice: hello there",
    ]


async def test_a_reply_in_a_thread_still_reads_it(harness: Harness) -> None:
    harness.claude.script("first", "second")
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> one")
    await harness.wait_for_turns(1)
    await harness.slack.user_says(harness.url, "C1", "U2", "two", thread_ts=mention["ts"])
    await harness.wait_for_turns(2)
    assert history_calls(harness) == 1
    assert len(harness.claude.message_requests()[1]["messages"]) == 3


async def test_a_ten_thousand_message_thread_is_read_in_five_calls_and_answered(make_harness) -> None:
    h = await make_harness()
    root = h.slack.post_message("C1", "U1", "<@UBOT> kick-off")
    for i in range(10_000):
        h.slack.post_message("C1", f"U{1 + i % 3}", f"message {i}", thread_ts=root["ts"])
    h.claude.script("the gist")
    await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> summary?", thread_ts=root["ts"])
    await h.wait_for_turns(1, timeout=60)

    assert history_calls(h) <= 5
    [request] = h.claude.message_requests()
    texts = [b["text"] for m in request["messages"] for b in m["content"]]
    assert texts[0] == "Alice: kick-off" and texts[-1] == "Alice: summary?"
    omitted = int(re.fullmatch(r"\[(\d+) earlier messages omitted\]", texts[1]).group(1))
    assert omitted + len(texts) - 1 == 10_002, "every message is either sent or counted as left out"
    assert texts[2] == f"{('Alice', 'Bob', 'Carol')[omitted % 3]}: message {omitted}", "the newest, unbroken"
    assert bot_replies(h, "C1", root["ts"])[0]["text"] == "the gist"
    [note] = notices(h, "C1", root["ts"])
    assert f"({omitted} earlier messages left out)" in note["text"]


async def test_a_message_mentioning_350_people_makes_a_bounded_number_of_lookups(make_harness) -> None:
    h = await make_harness(user_lookups_per_turn=40)
    h.slack.rate_limits = {"users.info": 100}
    people = [f"UX{i:03d}" for i in range(350)]
    for i, person in enumerate(people):
        h.slack.add_user(person, f"person{i}", display_name=f"Person {i}")
    h.claude.script("pinged")
    text = "<@UBOT> who is here? " + " ".join(f"<@{person}>" for person in people)
    mention = await h.slack.user_says(h.url, "C1", "U1", text)
    await h.wait_for_turns(1, timeout=30)

    assert len(h.slack.calls_to("users.info")) <= 40
    assert h.slack.rate_limited_by_method["users.info"] == 0
    assert bot_replies(h, "C1", mention["ts"])[0]["text"] == "pinged"
    [request] = h.claude.message_requests()
    sent = request["messages"][0]["content"][0]["text"]
    assert sent.startswith("Alice: who is here? @Person 0 @Person 1")
    assert sent.endswith("@UX348 @UX349"), "people beyond the cap keep their id"


async def test_the_admin_check_reuses_the_turns_lookup(make_harness) -> None:
    h = await make_harness()
    h.slack.users["U1"]["is_admin"] = True
    h.claude.script("hi")
    await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> hi")
    await h.wait_for_turns(1)
    status, body = await h.slack.slash_command(h.url, "budget 5M", user="U1", channel="C1")
    assert status == 200 and "only admins" not in body
    assert [call.params["user"] for call in h.slack.calls_to("users.info")] == ["U1"]


async def test_of_24_big_pdfs_only_the_newest_that_fit_are_downloaded(make_harness) -> None:
    data = samples.pdf(2)
    weight = -(-len(data) // 3) * 4
    h = await make_harness(attachments_max_bytes=int(weight * 2.5))
    root = h.slack.post_message("C1", "U2", "the quarterly reports")
    reports = []
    for i in range(24):
        report = h.slack.add_file(data, f"q{i:02d}.pdf", mimetype="application/pdf", filetype="pdf")
        h.slack.post_message("C1", "U2", f"report {i}", thread_ts=root["ts"], files=[report])
        reports.append(report)
    h.claude.script("compared")
    await h.slack.user_says(h.url, "C1", "U1", "<@UBOT> compare them", thread_ts=root["ts"])
    await h.wait_for_turns(1)

    assert sorted(file_id for file_id, _ in h.slack.file_downloads) == sorted(r["id"] for r in reports[-2:])
    [request] = h.claude.message_requests()
    documents = [b for m in request["messages"] for b in m["content"] if b["type"] == "document"]
    assert len(documents) == 2
    [note] = notices(h, "C1", root["ts"])
    assert "q00.pdf, q01.pdf, q02.pdf, q03.pdf, q04.pdf and 17 more" in note["text"]

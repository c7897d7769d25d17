"""Reading threads back within a few calls, against the fake Slack's `conversations.replies`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.fakes.slack import FakeSlack
from bot.slack.history import MAX_CALLS, read_thread, starts_thread

BUDGET = 192_000


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        slack.add_channel("C1", "general")
        yield slack


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


def thread(
    fake: FakeSlack, replies: int, *, quiet_until: int = 0, pause: int = 0, text: str = "message"
) -> str:
    """A thread of `replies`; the first `quiet_until` come `pause` seconds apart (the fake's clock
    moves one second per message anywhere in the workspace), the rest one a second."""
    root = fake.post_message("C1", "U1", "the plan")
    for i in range(replies):
        for _ in range(pause if i < quiet_until else 0):
            fake.post_message("C9", "U2", "elsewhere")
        fake.post_message("C1", f"U{1 + i % 3}", f"{text} {i}", thread_ts=root["ts"])
    return str(root["ts"])


def history_calls(fake: FakeSlack) -> int:
    return len(fake.calls_to("conversations.replies"))


def check_shape(messages: list[dict], skipped: int, replies: int) -> list[str]:
    """The first message, then the newest replies without a hole, and every reply accounted for."""
    texts = [m["text"] for m in messages]
    assert texts[0] == "the plan"
    assert texts[-1] == f"message {replies - 1}", "the newest reply is always read"
    numbers = [int(t.rsplit(" ", 1)[1]) for t in texts[1:]]
    assert numbers == list(range(numbers[0], replies)), "the newest replies, in order, without a hole"
    assert skipped == numbers[0], "what was not read is counted exactly"
    return texts


async def test_a_short_thread_is_one_call(fake: FakeSlack, client: AsyncWebClient) -> None:
    ts = thread(fake, 40)
    read = await read_thread(client, "C1", ts, tokens=BUDGET)
    assert read.skipped == 0 and len(read.messages) == 41
    assert history_calls(fake) == 1


async def test_a_thread_claude_gets_whole_is_paged_through(fake: FakeSlack, client: AsyncWebClient) -> None:
    ts = thread(fake, 2_500)
    read = await read_thread(client, "C1", ts, tokens=BUDGET)
    assert read.skipped == 0 and len(read.messages) == 2_501
    assert history_calls(fake) == 3


async def test_ten_thousand_messages_are_the_first_plus_the_newest_in_five_calls(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    ts = thread(fake, 10_000)
    read = await read_thread(client, "C1", ts, tokens=BUDGET)
    assert history_calls(fake) <= MAX_CALLS == 5
    texts = check_shape(read.messages, read.skipped, 10_000)
    assert len(texts) > 2_000, "the calls allowed are used for the newest"


async def test_a_small_budget_reads_less(fake: FakeSlack, client: AsyncWebClient) -> None:
    ts = thread(fake, 10_000)
    read = await read_thread(client, "C1", ts, tokens=3_000)
    assert history_calls(fake) == 2, "the first page, then one window at the end"
    check_shape(read.messages, read.skipped, 10_000)


@pytest.mark.parametrize("burst", [2_000, 6_000])
async def test_a_burst_at_the_end_still_reads_the_newest(
    fake: FakeSlack, client: AsyncWebClient, burst: int
) -> None:
    ts = thread(fake, 10_000, quiet_until=10_000 - burst, pause=30)
    read = await read_thread(client, "C1", ts, tokens=BUDGET)
    assert history_calls(fake) <= MAX_CALLS
    check_shape(read.messages, read.skipped, 10_000)


async def test_the_threads_first_notices_are_kept_past_the_gap(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    root = fake.post_message("C1", "U1", "New chat", subtype="assistant_app_thread")
    greeting = {"event_type": NOTICE_EVENT_TYPE, "event_payload": {"kind": "greeting"}}
    fake.post_message("C1", "UBOT", "Hi!", thread_ts=root["ts"], bot_id="BBOT", metadata=greeting)
    for i in range(3_000):
        fake.post_message("C1", "U1", "word " * 200 + str(i), thread_ts=root["ts"])
    read = await read_thread(client, "C1", root["ts"], tokens=20_000)
    assert [m["text"] for m in read.messages[:2]] == ["New chat", "Hi!"]
    assert read.messages[1]["metadata"] == greeting
    assert read.messages[-1]["text"].endswith(" 2999")
    assert read.skipped + len(read.messages) - 1 == 3_001


def test_a_new_mention_or_dm_is_its_whole_thread() -> None:
    event = {"type": "app_mention", "ts": "5.000001", "text": "<@UBOT> hi", "user": "U1"}
    assert starts_thread(event, "5.000001")
    assert not starts_thread({**event, "thread_ts": "4.000001"}, "4.000001"), "a reply reads its thread"
    assert not starts_thread(event, "4.000001"), "a Continue button's message is not the thread's first"
    linked = {"id": "F1", "url_private": "https://files.slack.com/x"}
    assert starts_thread({**event, "files": [linked]}, "5.000001")
    stub = {"id": "F2", "file_access": "check_file_info"}
    assert not starts_thread({**event, "files": [linked, stub]}, "5.000001"), "a stub file is read whole"

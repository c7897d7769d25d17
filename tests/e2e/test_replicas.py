"""Several replicas on one database: each event answered once, installs and the ledger shared, and
a rotating Slack token refreshed once however many replicas notice it expiring at the same moment."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import make_url
from sqlmodel import select

from bot.core.conversation import NOTICE_EVENT_TYPE
from bot.fakes.claude import FakeClaude
from bot.fakes.slack import FakeSlack
from bot.fakes.tcp_proxy import TcpProxy
from bot.store import Database
from bot.store.models import UsageRecord
from tests.conftest import Harness, wait_until
from tests.e2e.test_busy_workspace import BOT_LIMITS, people, scaled_limits
from tests.e2e.test_core_loop import bot_replies
from tests.e2e.test_oauth import OAUTH, TOKEN_KEY, install, installed
from tests.processes import bot_env, bot_process, free_port


async def ledger(db: Database) -> list[UsageRecord]:
    async with db.session() as session:
        return list((await session.execute(select(UsageRecord).order_by(UsageRecord.id))).scalars())


async def answered_once_each(slack: FakeSlack, mentions: list[dict], db: Database) -> list[UsageRecord]:
    """Waits for a ledger row per mention (all in C1), then for every stream to close; each thread must hold
    exactly one answer and the ledger one row per thread."""
    rows: list[UsageRecord] = []

    async def all_recorded() -> bool:
        nonlocal rows
        rows = await ledger(db)
        return len(rows) >= len(mentions)

    await wait_until(all_recorded, 30, f"{len(mentions)} ledger rows")
    await wait_until(
        lambda: (
            not any(
                slack.is_streaming("C1", r["ts"]) for m in mentions for r in slack.bot_messages("C1", m["ts"])
            )
        ),
        10,
        "every answer to finish",
    )
    for mention in mentions:
        answers = [
            m
            for m in slack.bot_messages("C1", mention["ts"])
            if (m.get("metadata") or {}).get("event_type") != NOTICE_EVENT_TYPE
        ]
        assert len(answers) == 1, f"thread {mention['ts']} got {len(answers)} answers"
    rows = await ledger(db)
    assert sorted(row.thread_ts for row in rows) == sorted(m["ts"] for m in mentions)
    return rows


@pytest.mark.parametrize("bot_database_url", ["postgresql"], indirect=True)
async def test_two_replica_processes_share_installs_answer_each_event_once_and_keep_one_ledger(
    slack: FakeSlack, claude: FakeClaude, bot_database_url: str, tmp_path: Path
) -> None:
    ports = free_port(), free_port()
    extra = {
        "SLACK_CLIENT_ID": slack.client_id,
        "SLACK_CLIENT_SECRET": slack.client_secret,
        "TOKEN_ENCRYPTION_KEYS": TOKEN_KEY,
    }
    envs = [bot_env(slack, claude, bot_database_url, port, **extra) for port in ports]
    events = [f"http://127.0.0.1:{port}/slack/events" for port in ports]
    claude.script(*(f"answer number {i}" for i in range(8)))
    db = Database(bot_database_url)
    try:
        async with bot_process(envs[0], tmp_path), bot_process(envs[1], tmp_path):
            assert (await install(f"http://127.0.0.1:{ports[0]}")).startswith("200")

            # The install made through the first replica serves the second, and the other way round.
            only_second = await slack.user_says(events[1], "C1", "U1", "<@UBOT> to the second replica")
            only_first = await slack.user_says(events[0], "C1", "U2", "<@UBOT> to the first replica")
            # Every event reaches both replicas at once, as a retry landing on the other would.
            both = await asyncio.gather(
                *(
                    slack.user_says(events[0], "C1", "U3", f"<@UBOT> question {i}", also_to=(events[1],))
                    for i in range(6)
                )
            )
            rows = await answered_once_each(slack, [only_second, only_first, *both], db)
    finally:
        await db.close()

    assert len(claude.requests) == 8, "one Claude call per event, whichever replica took it"
    assert {row.team_id for row in rows} == {slack.team_id}
    served = sorted(len(request.text) for request in claude.requests)
    assert sorted(len(f"answer number {i}") for i in range(8)) == served
    assert all(row.output_tokens > 0 and row.error_kind is None for row in rows)


@pytest.mark.parametrize("bot_database_url", ["sqlite", "postgresql"], indirect=True)
async def test_an_expiring_token_is_refreshed_once_by_two_replicas_at_once(make_harness) -> None:
    first: Harness = await make_harness(**OAUTH)
    second: Harness = await make_harness(**OAUTH)
    slack = first.slack
    slack.token_rotation = True
    slack.token_lifetime = 60  # inside Bolt's two-hour refresh horizon: every replica wants to refresh
    assert (await install(f"http://127.0.0.1:{first.bot.port}")).startswith("200")
    slack.token_lifetime = 43_200

    first.claude.script(*(f"answer {i}" for i in range(4)))
    mentions = await asyncio.gather(
        *(slack.user_says(first.url, "C1", "U1", f"<@UBOT> q{i}", also_to=(second.url,)) for i in range(4))
    )
    await answered_once_each(slack, list(mentions), first.db)

    assert slack.refreshes == [slack.team_id], "the refresh token is spent once"
    assert slack.refused_refreshes == 0
    installation = await installed(first, slack.team_id)
    assert installation is not None and installation.bot_token is not None
    assert installation.bot_token.startswith("xoxe.xoxb-")
    assert installation.bot_token_expires_at is not None

    # Both replicas go on with the refreshed token and never refresh again while it is fresh.
    first.claude.script("later answer")
    later = await slack.user_says(second.url, "C1", "U1", "<@UBOT> later", also_to=(first.url,))
    await wait_until(lambda: bot_replies(first, "C1", later["ts"]), 15, "the later answer")
    assert slack.refreshes == [slack.team_id]


@pytest.mark.parametrize("bot_database_url", ["postgresql"], indirect=True)
async def test_a_burst_spread_over_two_replicas_stays_within_slacks_limits(
    slack: FakeSlack, claude: FakeClaude, bot_database_url: str, tmp_path: Path
) -> None:
    """Each replica alone keeps under Slack's limits; two together would double them, unless they
    share the budget through the database."""
    scaled_limits(slack)
    users = people(slack, 16)
    envs, events = two_replicas(
        slack, claude, bot_database_url, SLACK_RATE_LIMITS=json.dumps(BOT_LIMITS), SLACK_UPDATE_INTERVAL="0.2"
    )
    claude.tokens_per_second = 200
    answers = [f"Answer {i}: " + "several words " * 12 for i in range(16)]
    claude.script(*answers)
    channels = ("C1", "C2", "C3", "C4")
    for channel in channels[2:]:
        slack.add_channel(channel, channel.lower())
    db = Database(bot_database_url)
    try:
        async with bot_process(envs[0], tmp_path), bot_process(envs[1], tmp_path):
            mentions = await asyncio.gather(
                *(
                    slack.user_says(events[i % 2], channels[i % 4], users[i], f"<@UBOT> question {i}")
                    for i in range(16)
                )
            )
            await wait_until(lambda: _rows(db, 16), 120, "16 answers")
    finally:
        await db.close()
    assert slack.rate_limited == 0, dict(slack.rate_limited_by_method)
    texts = sorted(bot_replies_in(slack, channels[i % 4], m["ts"]) for i, m in enumerate(mentions))
    assert texts == sorted(answers)


def two_replicas(
    slack: FakeSlack, claude: FakeClaude, database_url: str, **extra: str
) -> tuple[list[dict[str, str]], list[str]]:
    """The environments of two single-workspace replicas on one database, and their events URLs."""
    ports = free_port(), free_port()
    envs = [
        bot_env(slack, claude, database_url, port, SLACK_BOT_TOKEN=slack.bot_token, **extra) for port in ports
    ]
    return envs, [f"http://127.0.0.1:{port}/slack/events" for port in ports]


async def _rows(db: Database, count: int) -> bool:
    return len(await ledger(db)) >= count


def bot_replies_in(slack: FakeSlack, channel: str, thread_ts: str) -> str:
    [answer] = [
        m
        for m in slack.bot_messages(channel, thread_ts)
        if (m.get("metadata") or {}).get("event_type") != NOTICE_EVENT_TYPE
    ]
    return str(answer["text"])


async def test_after_a_token_rotation_the_workspace_keeps_its_budget(make_harness) -> None:
    harness: Harness = await make_harness(**OAUTH, slack_stream_mode="native", slack_stop_button=False)
    slack = harness.slack
    slack.token_rotation = True
    slack.token_lifetime = 60
    assert (await install(f"http://127.0.0.1:{harness.bot.port}")).startswith("200")
    slack.token_lifetime = 43_200
    harness.claude.script("before", "after")
    first = await slack.user_says(harness.url, "C1", "U1", "<@UBOT> one")
    await harness.wait_for_turns(1)
    assert slack.refreshes == [slack.team_id], "the token was rotated on the first event"
    await slack.user_says(harness.url, "C1", "U1", "<@UBOT> two")
    await harness.wait_for_turns(2)
    rate_limits = harness.bot.runtime.services.rate_limits
    scope = rate_limits.scope("chat.startStream", slack.team_id)
    configured = harness.settings.rate_limits()["chat.startStream"].calls
    assert rate_limits.headroom(scope) == configured - 2, "both tokens' calls count in one budget"
    assert bot_replies(harness, "C1", first["ts"])


@pytest.mark.parametrize("bot_database_url", ["postgresql"], indirect=True)
async def test_stop_pressed_on_the_other_replica_ends_the_answer(
    slack: FakeSlack, claude: FakeClaude, bot_database_url: str, tmp_path: Path
) -> None:
    envs, events = two_replicas(slack, claude, bot_database_url)
    claude.tokens_per_second = 20
    claude.script(LONG)
    db = Database(bot_database_url)
    try:
        async with bot_process(envs[0], tmp_path), bot_process(envs[1], tmp_path):
            mention = await slack.user_says(events[0], "C1", "U1", "<@UBOT> talk")
            message_ts, value = await slack.wait_for(lambda: stop_button(slack, "C1", mention["ts"]))
            status, _ = await slack.block_action(
                events[1],
                user="U1",
                channel="C1",
                message_ts=message_ts,
                action_id="stop_reply",
                value=value,
                thread_ts=mention["ts"],
            )
            assert status == 200
            await wait_until(lambda: _rows(db, 1), 15, "the stopped answer's ledger row")
    finally:
        await db.close()
    [request] = [r for r in claude.requests if r.path == "/v1/messages"]
    assert request.deltas_sent < len(LONG) // claude.chars_per_token, "Claude's stream was ended"
    answer = bot_replies_in(slack, "C1", mention["ts"])
    assert answer and LONG.startswith(answer) and len(answer) < len(LONG)
    notes = [
        m["text"]
        for m in slack.bot_messages("C1", mention["ts"])
        if (m.get("metadata") or {}).get("event_type") == NOTICE_EVENT_TYPE
    ]
    assert any("Stopped" in note for note in notes)


LONG = "".join(f"Sentence number {i} of a long answer. " for i in range(120))


def stop_button(slack: FakeSlack, channel: str, thread_ts: str) -> tuple[str, str] | None:
    for message in slack.thread(channel, thread_ts):
        for block in message.get("blocks") or []:
            for element in block.get("elements", []):
                if element.get("action_id") == "stop_reply":
                    return str(message["ts"]), str(element["value"])
    return None


@pytest.mark.parametrize("bot_database_url", ["postgresql"], indirect=True)
async def test_mentions_sent_while_the_database_is_cut_off_are_answered_once_each(
    slack: FakeSlack, claude: FakeClaude, bot_database_url: str, tmp_path: Path
) -> None:
    """Their events were acknowledged, so Slack won't send them again: the replicas hold them and
    answer them once the database is back."""
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    through_proxy = make_url(bot_database_url).set(host="127.0.0.1", port=proxy.port)
    url = through_proxy.render_as_string(hide_password=False)
    envs, events = two_replicas(slack, claude, url)
    claude.script(*(f"answer number {i}" for i in range(7)))
    for i in range(7):
        slack.add_user(f"UC{i}", f"cut{i}")
    db = Database(bot_database_url)
    try:
        async with bot_process(envs[0], tmp_path), bot_process(envs[1], tmp_path):
            before = await slack.user_says(events[0], "C1", "UC0", "<@UBOT> before the cut")
            await wait_until(lambda: _rows(db, 1), 15, "the answer before the cut")
            proxy.cut()
            during = [
                await slack.user_says(events[i % 2], "C1", f"UC{i}", f"<@UBOT> during the cut {i}")
                for i in range(1, 6)
            ]
            await asyncio.sleep(3)
            assert len(claude.requests) == 1, "nothing was answered without a claim"
            proxy.restore()
            after = await slack.user_says(events[1], "C1", "UC6", "<@UBOT> after the cut")
            await answered_once_each(slack, [before, *during, after], db)
    finally:
        await db.close()
        await proxy.stop()


@pytest.mark.parametrize("bot_database_url", ["postgresql"], indirect=True)
async def test_two_messages_of_one_thread_on_two_replicas_are_answered_one_after_the_other(
    slack: FakeSlack, claude: FakeClaude, bot_database_url: str, tmp_path: Path
) -> None:
    envs, events = two_replicas(slack, claude, bot_database_url)
    first_answer = "The first answer, written slowly enough for a second message to arrive meanwhile."
    claude.tokens_per_second = 15
    claude.script(first_answer, "The second answer.")
    db = Database(bot_database_url)
    try:
        async with bot_process(envs[0], tmp_path), bot_process(envs[1], tmp_path):
            mention = await slack.user_says(events[0], "C1", "U1", "<@UBOT> first question")
            await slack.wait_for(lambda: slack.bot_messages("C1", mention["ts"]))
            await slack.user_says(events[1], "C1", "U2", "and a second one", thread_ts=mention["ts"])
            await wait_until(lambda: _rows(db, 2), 30, "both answers")
    finally:
        await db.close()
    first, second = [r for r in claude.requests if r.path == "/v1/messages"]
    assert first.last_delta is not None and second.time >= first.last_delta, "one after the other"
    said = [
        block["text"] for m in second.body["messages"] for block in m["content"] if block["type"] == "text"
    ]
    assert any(first_answer in text for text in said), "the second answer sees the first"
    assert said[-1].endswith("and a second one")


@pytest.mark.parametrize("bot_database_url", ["postgresql"], indirect=True)
async def test_two_socket_mode_replicas_answer_each_mention_once(
    slack: FakeSlack, claude: FakeClaude, bot_database_url: str, tmp_path: Path
) -> None:
    """Slack allows an app several Socket Mode connections and spreads events over them (the fake
    takes turns): what holds over HTTP holds here, since it rests on the database."""
    extra = {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_APP_TOKEN": slack.app_token}
    envs = [bot_env(slack, claude, bot_database_url, free_port(), **extra) for _ in range(2)]
    claude.script(*(f"answer number {i}" for i in range(6)))
    for i in range(6):
        slack.add_user(f"US{i}", f"socket{i}")
    db = Database(bot_database_url)
    try:
        async with bot_process(envs[0], tmp_path), bot_process(envs[1], tmp_path):
            await slack.wait_for(lambda: slack.socket_connected(2))
            mentions = [
                await slack.socket_user_says("C1", f"US{i}", f"<@UBOT> question {i}") for i in range(6)
            ]
            await answered_once_each(slack, mentions, db)
    finally:
        await db.close()

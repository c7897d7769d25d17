"""One `users.info` cache for names and roles, against the fake Slack: bounded, single-flight,
remembering who doesn't exist."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.fakes.slack import FakeSlack
from bot.slack.roles import Roles
from bot.slack.users import UserDirectory


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(latency=0.02) as slack:
        slack.add_user("U1", "alice", display_name="Alice", is_admin=True)
        slack.add_user("U2", "bob", real_name="Bob Stone")
        yield slack


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


def lookups(fake: FakeSlack, user: str | None = None) -> int:
    return sum(1 for call in fake.calls_to("users.info") if user is None or call.params.get("user") == user)


async def test_names_are_looked_up_once(fake: FakeSlack, client: AsyncWebClient) -> None:
    users = UserDirectory(3600)
    for _ in range(3):
        assert await users.names(client, "T0TEAM", ["U1", "U2"], limit=10) == {
            "U1": "Alice",
            "U2": "Bob Stone",
        }
    assert lookups(fake) == 2


async def test_concurrent_identical_reads_are_one_call(fake: FakeSlack, client: AsyncWebClient) -> None:
    users = UserDirectory(3600)
    roles = Roles(users)
    answers = await asyncio.gather(
        *(users.names(client, "T0TEAM", ["U1"], limit=5) for _ in range(5)),
        *(roles.is_admin(client, "T0TEAM", "U1") for _ in range(5)),
    )
    assert answers[:5] == [{"U1": "Alice"}] * 5 and answers[5:] == [True] * 5
    assert lookups(fake, "U1") == 1


async def test_a_turn_looks_up_at_most_its_limit_most_needed_first(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    for i in range(300):
        fake.add_user(f"UX{i:03d}", f"person{i}")
    wanted = [f"UX{i:03d}" for i in range(300)]
    users = UserDirectory(3600, lookups_at_once=4)
    names = await users.names(client, "T0TEAM", wanted, limit=40)
    assert list(names) == wanted[:40]
    assert lookups(fake) == 40
    again = await users.names(client, "T0TEAM", wanted, limit=40)
    assert list(again) == wanted[:80], "the next turn gets the next ones"


async def test_people_slack_doesnt_know_are_remembered_too(fake: FakeSlack, client: AsyncWebClient) -> None:
    users = UserDirectory(3600)
    for _ in range(3):
        assert await users.names(client, "T0TEAM", ["U404"], limit=5) == {}
    assert lookups(fake, "U404") == 1
    assert not await Roles(users).is_admin(client, "T0TEAM", "U404")


async def test_the_admin_check_reuses_a_fresh_lookup_and_refreshes_an_old_one(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    users = UserDirectory(3600)
    await users.names(client, "T0TEAM", ["U1"], limit=5)
    assert await Roles(users).is_admin(client, "T0TEAM", "U1")
    assert lookups(fake, "U1") == 1, "a name looked up within the minute answers the admin check"
    fake.users["U1"]["is_admin"] = False
    assert not await Roles(users, max_age=0).is_admin(client, "T0TEAM", "U1"), "roles are never stale"
    assert lookups(fake, "U1") == 2


async def test_a_failed_lookup_keeps_the_last_name_but_grants_no_admin(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    users = UserDirectory(0)
    assert await users.names(client, "T0TEAM", ["U1"], limit=5) == {"U1": "Alice"}
    fake.faults = {"users.info": ["internal_error", "internal_error"]}
    assert await users.names(client, "T0TEAM", ["U1"], limit=5) == {"U1": "Alice"}
    assert not await Roles(users, max_age=0).is_admin(client, "T0TEAM", "U1"), "U1 is an admin, unconfirmed"


async def test_a_name_due_for_a_lookup_beyond_the_cap_keeps_its_last_value(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    users = UserDirectory(0)
    await users.names(client, "T0TEAM", ["U1", "U2"], limit=5)
    assert await users.names(client, "T0TEAM", ["U1", "U2"], limit=1) == {"U1": "Alice", "U2": "Bob Stone"}
    assert lookups(fake) == 3

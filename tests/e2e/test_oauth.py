"""Installing through OAuth against the fake Slack, answering with the installed token, uninstalling."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import aiohttp
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import func, select, update

from bot.runtime import housekeeping
from bot.slack.encrypted_installations import installation_store
from bot.store.retention import OAUTH_STATES
from tests.conftest import Harness, wait_until
from tests.e2e.test_core_loop import bot_replies

TOKEN_KEY = Fernet.generate_key().decode()
OAUTH = {
    "slack_bot_token": None,
    "slack_client_id": "1111.2222",
    "slack_client_secret": "test-client-secret",
    "token_encryption_keys": TOKEN_KEY,
}
"""An app installable through OAuth (the fake Slack's credentials), its tokens encrypted at rest."""


async def installed(harness: Harness, team_id: str = "T0TEAM") -> Installation | None:
    """The workspace's installation as the bot reads it (tokens decrypted)."""
    store = installation_store(harness.settings, harness.db)
    return await store.async_find_installation(enterprise_id=None, team_id=team_id)


async def install(base: str, code: str = "good-code") -> str:
    """The browser's part on the bot at `base`: open the install page, follow Slack back to the
    redirect URL with the state cookie (set `Secure`, so passed by hand over the test's plain HTTP)."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/slack/install") as page:
            assert page.status == 200
            state = re.search(r"state=([\w-]+)", await page.text())
            assert state is not None
            cookie = "; ".join(c.split(";", 1)[0] for c in page.headers.getall("Set-Cookie", []))
        params = {"code": code, "state": state.group(1)}
        async with http.get(
            f"{base}/slack/oauth_redirect", params=params, headers={"Cookie": cookie}
        ) as done:
            return f"{done.status} {await done.text()}"


async def test_install_then_answer_with_the_installed_token_then_uninstall(make_harness) -> None:
    harness = await make_harness(**OAUTH)
    outcome = await install(f"http://127.0.0.1:{harness.bot.port}")
    assert outcome.startswith("200")
    installation = await installed(harness)
    assert installation is not None and installation.bot_token == "xoxb-installed-T0TEAM"

    harness.claude.script("answered with the installed token")
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> hello")
    await harness.wait_for_turns(1)
    assert bot_replies(harness, "C1", mention["ts"])[0]["text"] == "answered with the installed token"

    status, _ = await harness.slack.send_event(harness.url, {"type": "app_uninstalled", "event_ts": "9.9"})
    assert status == 200

    async def uninstalled() -> bool:
        return await installed(harness) is None

    await wait_until(uninstalled, 10, "the installation to be deleted")
    assert len(await harness.usage_rows()) == 1, "the ledger stays after an uninstall"


async def test_a_bad_code_installs_nothing(make_harness) -> None:
    harness = await make_harness(**OAUTH)
    outcome = await install(f"http://127.0.0.1:{harness.bot.port}", code="stolen-code")
    assert not outcome.startswith("200")
    assert await installed(harness) is None


async def state_rows(harness: Harness) -> int:
    async with harness.db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(OAUTH_STATES))).scalar_one())


async def open_install_pages(harness: Harness, count: int, client: str = "") -> list[tuple[int, str]]:
    headers = {"Fly-Client-IP": client} if client else {}
    answers = []
    url = f"http://127.0.0.1:{harness.bot.port}/slack/install"
    async with aiohttp.ClientSession() as http:
        for _ in range(count):
            async with http.get(url, headers=headers) as page:
                answers.append((page.status, await page.text()))
    return answers


async def test_oauth_state_rows_are_pruned(make_harness) -> None:
    """Anyone may open the install page; the state row each visit leaves is deleted once expired."""
    harness = await make_harness(**OAUTH)
    assert [status for status, _ in await open_install_pages(harness, 6)] == [200] * 6
    assert await state_rows(harness) == 6
    await housekeeping.tidy(harness.db, harness.settings)
    assert await state_rows(harness) == 6, "states not yet expired are kept"

    states = OAUTH_STATES.c
    async with harness.db.engine.begin() as conn:  # three visits were eleven minutes ago
        first_three = select(states.id).order_by(states.id).limit(3).scalar_subquery()
        long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=11)
        await conn.execute(update(OAUTH_STATES).where(states.id.in_(first_three)).values(expire_at=long_ago))
    await housekeeping.tidy(harness.db, harness.settings)
    assert await state_rows(harness) == 3
    assert (await install(f"http://127.0.0.1:{harness.bot.port}")).startswith("200"), "live states still work"


async def test_install_pages_are_rate_limited_per_client(make_harness) -> None:
    harness = await make_harness(**OAUTH, install_rate_limit=4, client_ip_header="Fly-Client-IP")
    answers = await open_install_pages(harness, 6, client="203.0.113.7")
    assert [status for status, _ in answers] == [200] * 4 + [429] * 2
    assert "Please wait a moment" in answers[-1][1] and "Traceback" not in answers[-1][1]
    assert await state_rows(harness) == 4, "a refused request writes nothing"

    assert [status for status, _ in await open_install_pages(harness, 1, client="198.51.100.2")] == [200]
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{harness.bot.port}/slack/oauth_redirect?code=x&state=y"
        async with http.get(url, headers={"Fly-Client-IP": "203.0.113.7"}) as redirect:
            assert redirect.status == 429 and 1 <= int(redirect.headers["Retry-After"]) <= 15
        async with http.get(f"http://127.0.0.1:{harness.bot.port}/healthz") as health:
            assert health.status == 200, "only the install pages are limited"

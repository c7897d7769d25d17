"""Installing through OAuth against the fake Slack, answering with the installed token, uninstalling."""

from __future__ import annotations

import re

import aiohttp
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation

from bot.slack.encrypted_installations import installation_store
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

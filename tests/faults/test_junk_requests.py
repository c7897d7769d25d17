"""Junk sent to the public port gets a 400 or a 401 and one log line: never a 500, never a
traceback, never anything done."""

from __future__ import annotations

import logging
import time

import aiohttp
import pytest

from tests.conftest import Harness
from tests.e2e.test_oauth import OAUTH

pytestmark = pytest.mark.bad_input

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
EVENTS = "/slack/events"
REDIRECT = "/slack/oauth_redirect"
TS = "X-Slack-Request-Timestamp"
SIG = "X-Slack-Signature"
JUNK = [  # method, path, headers, body, the statuses that are right
    pytest.param("POST", EVENTS, {"Content-Type": JSON}, b'{"a": "\xff"}', {400}, id="body not UTF-8"),
    pytest.param("POST", EVENTS, {"Content-Type": FORM}, b"payload=\xfe", {400}, id="form not UTF-8"),
    pytest.param("POST", EVENTS, {TS: "abc"}, b"{}", {401}, id="timestamp abc"),
    pytest.param("POST", EVENTS, {TS: "1e3"}, b"{}", {401}, id="timestamp 1e3"),
    pytest.param("POST", EVENTS, {TS: "9" * 5000}, b"{}", {401}, id="timestamp of 5,000 digits"),
    pytest.param("POST", EVENTS, {SIG: "v0=\xe9"}, b"{}", {401}, id="signature not ASCII"),
    pytest.param("POST", EVENTS, {"Content-Type": JSON}, b'{"authorizations": 1}', {401}, id="odd JSON"),
    pytest.param("POST", EVENTS, {"Content-Type": FORM}, b"payload=%5B1%5D", {401}, id="odd form"),
    pytest.param("POST", EVENTS, {SIG: "v0=" + "a" * 10_000}, b"{}", {400}, id="header too long"),
    pytest.param("GET", REDIRECT + "?state=" + "x" * 10_000, {}, b"", {400}, id="OAuth URL too long"),
    pytest.param("GET", REDIRECT + "?code=%ff&state=%fe", {}, b"", {400, 401}, id="OAuth URL not UTF-8"),
]


@pytest.fixture
async def oauth_harness(make_harness) -> Harness:
    """OAuth mode, so the install routes are on the public port too."""
    return await make_harness(**OAUTH)


@pytest.mark.parametrize(("method", "path", "headers", "body", "statuses"), JUNK)
async def test_junk_requests_get_400_or_401_never_500(
    oauth_harness: Harness,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    statuses: set[int],
) -> None:
    harness = oauth_harness
    sent = {TS: str(int(time.time())), **headers}
    calls_before = len(harness.slack.calls)
    caplog.set_level(logging.INFO)
    url = f"http://127.0.0.1:{harness.bot.port}{path}"
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, headers=sent, data=body) as response,
    ):
        assert response.status in statuses
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], (
        "no traceback, no error"
    )
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) in ({1} if path == EVENTS else {0, 1}), "one line says what was refused"
    assert harness.slack.calls[calls_before:] == [] and harness.claude.requests == []

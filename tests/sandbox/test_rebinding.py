"""The sandbox page answers only this machine's own browser: a site that rebinds its name to
127.0.0.1 sets `Host` and `Origin` itself, and must get nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot.runtime.sandbox.web import serving_page
from bot.runtime.sandbox.workspace import GENERAL, Workspace, sandbox_slack


@pytest.fixture
async def page_port() -> AsyncIterator[int]:
    async with sandbox_slack() as slack, serving_page(Workspace(slack, "http://127.0.0.1:9/"), 0) as url:
        yield int(urlsplit(url).port or 0)


WEBSOCKET = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


def reads_and_writes(host: str) -> list[tuple[str, str, dict[str, str], dict[str, str] | None]]:
    """The page, the live workspace, and a post into it, as a rebound site would ask for them."""
    origin = {"Host": host, "Origin": f"http://{host}"}
    return [
        ("GET", "/", {"Host": host}, None),
        ("GET", "/api/live", {**origin, **WEBSOCKET}, None),
        ("POST", "/api/messages", origin, {"channel": GENERAL, "text": "rebound"}),
    ]


@pytest.mark.parametrize(
    "host", ["rebind.evil.example:{port}", "127.0.0.1.evil.example:{port}", "127.0.0.1:1"]
)
async def test_a_rebinding_host_gets_403(page_port: int, host: str) -> None:
    host = host.format(port=page_port)
    async with aiohttp.ClientSession() as http:
        for method, path, headers, form in reads_and_writes(host):
            url = f"http://127.0.0.1:{page_port}{path}"
            async with http.request(method, url, headers=headers, data=form) as response:
                assert response.status == 403, (method, path)


async def test_a_page_on_this_machine_from_another_origin_gets_403(page_port: int) -> None:
    headers = {"Host": f"127.0.0.1:{page_port}", "Origin": "http://localhost:8000"}
    url = f"http://127.0.0.1:{page_port}/api/home"
    async with aiohttp.ClientSession() as http, http.post(url, headers=headers) as response:
        assert response.status == 403


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]"])
async def test_the_page_answers_this_machine_by_any_of_its_names(page_port: int, name: str) -> None:
    host = f"{name}:{page_port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{page_port}/", headers={"Host": host}) as page:
            assert page.status == 200
        live = f"http://127.0.0.1:{page_port}/api/live"
        async with http.ws_connect(live, headers={"Host": host, "Origin": f"http://{host}"}) as socket:
            snapshot = await socket.receive_json()
            assert GENERAL in {channel["id"] for channel in snapshot["channels"]}

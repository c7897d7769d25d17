"""A fake Slack workspace served over real HTTP.

Tests and benchmarks point the real `slack_sdk` `AsyncWebClient` (and a real Bolt `AsyncApp`, in HTTP
or Socket Mode) at it, so the SDK's transport, argument encoding, retries and Socket Mode client are
what gets exercised, not a mock of them. It keeps state the way a workspace does (users, channels,
threads, files, streams), answers with Slack's shapes and error names, throttles like Slack's rate
tiers, and delivers events, slash commands and button clicks signed the way Slack signs them.

One class per part: the workspace's state (`workspace`), the Web API (`web_api`), deliveries to the
bot over HTTP and Socket Mode (`delivery`), OAuth (`oauth`), the wire-level helpers (`protocol`);
`FakeSlack` serves them together on a `LoopbackServer`, as `FakeClaude` does the Messages API.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.fakes.loopback import LoopbackServer
from bot.fakes.slack.delivery import Delivering
from bot.fakes.slack.oauth import OAuth
from bot.fakes.slack.protocol import SLACK_USER_AGENT, Call, Delivery
from bot.fakes.slack.web_api import WebApi

__all__ = ["Call", "Delivery", "FakeSlack"]


class FakeSlack(WebApi, Delivering, OAuth, LoopbackServer):
    """A Slack workspace with one bot installed, served on 127.0.0.1 at a free port.

    Web API at `api_url`, `url_private` downloads, slash-command `response_url`s and a Socket Mode
    websocket at `url`. The `add_*` and `post_message` helpers set up the workspace directly; the
    `user_says`, `slash_command`, `block_action` and `socket_*` helpers do what Slack does when a
    person acts, delivering to the bot.
    """

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._on_api)
        app.router.add_get("/files-pri/{key}/{name}", self._on_file)
        app.router.add_get("/files-pri/{key}/download/{name}", self._on_file)
        app.router.add_post("/response/{id}", self._on_response_url)
        app.router.add_post("/upload/v1/{key}", self._on_upload)
        app.router.add_get("/socket", self._on_socket)
        # By shutdown the listener is closed, so a Socket Mode client can't reconnect in between.
        app.on_shutdown.append(self._close_sockets)
        return app

    async def start(self) -> None:
        await super().start()
        self.url = f"{self.origin}/"
        self.api_url = f"{self.url}api/"
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30), headers={"User-Agent": SLACK_USER_AGENT}
        )

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        await super().stop()

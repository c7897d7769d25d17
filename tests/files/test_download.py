"""Against real local HTTP servers: a "Slack" file host the bot may send its token to, and an
outsider on another port that must never hear from it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from bot.files.download import FILES_READ_MISSING, DownloadProblem, allowed_origins, download, origin_of
from bot.files.model import FileLimits
from tests.files import samples

TOKEN = "xoxb-test-token"
LIMITS = replace(FileLimits(), download_timeout_seconds=2.0)


@dataclass
class Host:
    """One HTTP server; `files` maps a path to (body, content type)."""

    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    seen: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""
    runner: web.AppRunner | None = None
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/endless", self.endless)
        app.router.add_get("/{path:.*}", self.serve)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"

    def record(self, request: web.Request) -> None:
        self.seen.append((request.path, request.headers.get("Authorization")))

    async def serve(self, request: web.Request) -> web.StreamResponse:
        self.record(request)
        if request.path in self.redirects:
            raise web.HTTPFound(self.redirects[request.path])
        if request.path not in self.files:
            raise web.HTTPNotFound()
        body, content_type = self.files[request.path]
        return web.Response(body=body, content_type=content_type)

    async def slow(self, request: web.Request) -> web.Response:
        self.record(request)
        await self.release.wait()
        return web.Response(body=b"late")

    async def endless(self, request: web.Request) -> web.StreamResponse:
        """Chunked, so no Content-Length warns the reader: only counting stops it."""
        self.record(request)
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(200):
            await response.write(b"x" * 65536)
        await response.write_eof()
        return response


@pytest.fixture
async def hosts() -> AsyncIterator[tuple[Host, Host]]:
    slack, outsider = Host(), Host()
    await slack.start()
    await outsider.start()
    yield slack, outsider
    for host in (slack, outsider):
        assert host.runner is not None
        host.release.set()
        await host.runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def file_at(url: str, size: int = 100, **extra: object) -> dict:
    return {
        "id": "F1",
        "name": "a.png",
        "mimetype": "image/png",
        "size": size,
        "url_private_download": url,
        **extra,
    }


async def fetch(session: aiohttp.ClientSession, slack: Host, file: dict, limits: FileLimits = LIMITS):
    return await download(session, file, TOKEN, allowed_origins(slack.url + "api/"), limits)


async def test_the_file_comes_with_the_token_sent_to_slack(hosts, session) -> None:
    slack, _ = hosts
    slack.files["/files-pri/a.png"] = (samples.png(), "image/png")
    assert await fetch(session, slack, file_at(slack.url + "files-pri/a.png")) == samples.png()
    assert slack.seen == [("/files-pri/a.png", f"Bearer {TOKEN}")]


async def test_a_link_to_another_host_is_never_requested(hosts, session) -> None:
    slack, outsider = hosts
    outsider.files["/a.png"] = (samples.png(), "image/png")
    result = await fetch(session, slack, file_at(outsider.url + "a.png"))
    assert isinstance(result, DownloadProblem)
    assert outsider.seen == []


async def test_a_redirect_elsewhere_is_not_followed(hosts, session) -> None:
    slack, outsider = hosts
    outsider.files["/stolen"] = (b"gotcha", "text/plain")
    slack.redirects["/files-pri/a.png"] = outsider.url + "stolen"
    result = await fetch(session, slack, file_at(slack.url + "files-pri/a.png"))
    assert isinstance(result, DownloadProblem)
    assert len(slack.seen) == 1
    assert outsider.seen == []


async def test_a_redirect_within_slack_is_followed_with_the_token(hosts, session) -> None:
    slack, _ = hosts
    slack.redirects["/files-pri/a.png"] = "/files-tmb/a.png"
    slack.files["/files-tmb/a.png"] = (b"moved", "text/plain")
    assert await fetch(session, slack, file_at(slack.url + "files-pri/a.png")) == b"moved"
    assert [auth for _, auth in slack.seen] == [f"Bearer {TOKEN}"] * 2


async def test_a_declared_size_over_the_limit_is_refused_before_any_request(hosts, session) -> None:
    slack, _ = hosts
    result = await fetch(session, slack, file_at(slack.url + "files-pri/huge.mov", size=200 * 1024 * 1024))
    assert result == DownloadProblem("the file is too large (200 MB; the limit is 30 MB)")
    assert slack.seen == []


async def test_a_declared_empty_file_is_not_requested(hosts, session) -> None:
    slack, _ = hosts
    assert await fetch(session, slack, file_at(slack.url + "x", size=0)) == DownloadProblem(
        "the file is empty"
    )
    assert slack.seen == []


async def test_a_body_longer_than_the_cap_is_cut_off(hosts, session) -> None:
    slack, _ = hosts
    limits = replace(LIMITS, max_download_bytes=256 * 1024)
    slack.files["/big.bin"] = (b"y" * (300 * 1024), "application/octet-stream")
    declared_small = await fetch(session, slack, file_at(slack.url + "big.bin", size=10), limits)
    assert declared_small == DownloadProblem("the file is too large (0.3 MB; the limit is 0.2 MB)")
    chunked = await fetch(session, slack, file_at(slack.url + "endless", size=10), limits)
    assert chunked == DownloadProblem("the file is larger than the 0.2 MB limit")


async def test_a_sign_in_page_means_the_app_lacks_files_read(hosts, session) -> None:
    slack, _ = hosts
    slack.files["/files-pri/a.png"] = (samples.LOGIN_PAGE, "text/html")
    result = await fetch(session, slack, file_at(slack.url + "files-pri/a.png"))
    assert result == DownloadProblem(FILES_READ_MISSING, scope_missing=True)


async def test_an_html_file_someone_shared_is_just_a_file(hosts, session) -> None:
    slack, _ = hosts
    slack.files["/files-pri/page.html"] = (samples.LOGIN_PAGE, "text/html")
    html_file = file_at(slack.url + "files-pri/page.html", mimetype="text/html", filetype="html")
    assert await fetch(session, slack, html_file) == samples.LOGIN_PAGE


async def test_a_slow_download_times_out(hosts, session) -> None:
    slack, _ = hosts
    result = await fetch(
        session, slack, file_at(slack.url + "slow"), replace(LIMITS, download_timeout_seconds=0.2)
    )
    assert result == DownloadProblem("the download from Slack timed out")


async def test_a_missing_file_or_link_is_a_problem_not_an_error(hosts, session) -> None:
    slack, _ = hosts
    gone = await fetch(session, slack, file_at(slack.url + "files-pri/gone.png"))
    assert gone == DownloadProblem("it is no longer on Slack")
    no_link = await fetch(session, slack, {"id": "F1", "size": 10})
    assert no_link == DownloadProblem("Slack didn't give the bot a link to download it")


async def test_an_unreachable_host_is_a_problem_not_an_error(session) -> None:
    origins = allowed_origins("http://127.0.0.1:9/api/")
    result = await download(session, file_at("http://127.0.0.1:9/x"), TOKEN, origins, LIMITS)
    assert result == DownloadProblem("the download from Slack failed")


def test_the_token_goes_to_slacks_file_host_over_https_and_to_the_api_host() -> None:
    origins = allowed_origins("https://slack.com/api/")
    assert origin_of(URL("https://files.slack.com/files-pri/T-F/a.png")) in origins
    assert origin_of(URL("https://FILES.slack.com:443/x")) in origins
    assert origin_of(URL("http://files.slack.com/x")) not in origins
    assert origin_of(URL("https://files.slack.com.evil.example/x")) not in origins
    assert origin_of(URL("https://evil.example/?https://files.slack.com/")) not in origins
    assert origin_of(URL("https://files.slack.com:8443/x")) not in origins
    assert origin_of(URL("/relative")) is None
    assert origin_of(URL("https://files.slack-gov.com/x")) not in origins


def test_govslack_files_come_from_govslacks_own_file_host() -> None:
    origins = allowed_origins("https://slack-gov.com/api/")
    assert origin_of(URL("https://files.slack-gov.com/files-pri/T-F/a.png")) in origins
    assert origin_of(URL("https://slack-gov.com/api/")) in origins
    assert origin_of(URL("https://files.slack.com/x")) not in origins

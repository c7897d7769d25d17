"""The one place the bot token meets a file URL.

The token opens every file the bot can see, so it only ever goes to Slack's file hosts: a
URL elsewhere is refused before anything is sent, and redirects are followed by hand, only
to those hosts, so the token can't be carried off by one. Sizes are checked before and while
reading: what Slack declares can be wrong, and a body is never read past the cap.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from yarl import URL

from bot.files.model import FileLimits, SlackFile, megabytes
from bot.files.sniff import sniff

FILES_READ_MISSING = (
    "The bot can't read files: its Slack app lacks the `files:read` scope. "
    "An admin needs to add it and reinstall the app."
)
SLACK_FILES_ORIGIN = "https://files.slack.com"
GOVSLACK_FILES_ORIGIN = "https://files.slack-gov.com"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

Origin = tuple[str, str, int]


@dataclass(frozen=True)
class DownloadProblem:
    reason: str
    """For people: why the file's content isn't there, without the file's name."""
    scope_missing: bool = False


def allowed_origins(slack_api_url: str) -> frozenset[Origin]:
    """Slack's file host, plus the Web API's own host so a proxy or a fake Slack works. GovSlack
    (`SLACK_API_URL=https://slack-gov.com/api/`) keeps its files on its own host."""
    api = URL(slack_api_url)
    files = GOVSLACK_FILES_ORIGIN if (api.host or "").lower() == "slack-gov.com" else SLACK_FILES_ORIGIN
    origins = {origin_of(URL(files)), origin_of(api)}
    return frozenset(origin for origin in origins if origin is not None)


def origin_of(url: URL) -> Origin | None:
    """Scheme, host and port: a token for https://files.slack.com never goes over plain HTTP."""
    if not url.is_absolute() or url.scheme not in ("http", "https") or not url.host or url.port is None:
        return None
    return url.scheme, url.host.lower().rstrip("."), url.port


async def download(
    session: aiohttp.ClientSession,
    file: SlackFile,
    token: str,
    origins: frozenset[Origin],
    limits: FileLimits,
) -> bytes | DownloadProblem:
    declared = file.get("size")
    if isinstance(declared, int) and declared > limits.max_download_bytes:
        return _too_large(declared, limits)
    if declared == 0:
        return DownloadProblem("the file is empty")
    link = file.get("url_private_download") or file.get("url_private")
    if not isinstance(link, str) or not link:
        return DownloadProblem("Slack didn't give the bot a link to download it")
    try:
        async with asyncio.timeout(limits.download_timeout_seconds):
            return await _fetch(session, URL(link), token, origins, limits, _declares_html(file))
    except TimeoutError:
        return DownloadProblem("the download from Slack timed out")
    except (aiohttp.ClientError, ValueError):
        return DownloadProblem("the download from Slack failed")


async def _fetch(
    session: aiohttp.ClientSession,
    url: URL,
    token: str,
    origins: frozenset[Origin],
    limits: FileLimits,
    html_expected: bool,
) -> bytes | DownloadProblem:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(MAX_REDIRECTS + 1):
        if origin_of(url) not in origins:
            return DownloadProblem("its link points outside Slack, so the bot didn't download it")
        async with session.get(url, headers=headers, allow_redirects=False) as response:
            if response.status in REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    return DownloadProblem(f"Slack answered HTTP {response.status}")
                url = response.url.join(URL(location))
                continue
            if response.status != 200:
                return DownloadProblem(_status_reason(response.status))
            if response.content_length is not None and response.content_length > limits.max_download_bytes:
                return _too_large(response.content_length, limits)
            body = await _read_capped(response, limits.max_download_bytes)
            if body is None:
                return _too_large(None, limits)
            if not html_expected and _is_sign_in_page(response, body):
                return DownloadProblem(FILES_READ_MISSING, scope_missing=True)
            if not body:
                return DownloadProblem("the file is empty")
            return body
    return DownloadProblem("Slack redirected the download too many times")


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes | None:
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        total += len(chunk)
        if total > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _is_sign_in_page(response: aiohttp.ClientResponse, body: bytes) -> bool:
    """Slack's way of saying the token may not read files: a sign-in page, with a 200."""
    return response.content_type in HTML_TYPES and sniff(body[:4096]).kind == "html"


def _declares_html(file: SlackFile) -> bool:
    return file.get("filetype") == "html" or file.get("mimetype") in HTML_TYPES


def _status_reason(status: int) -> str:
    if status in (401, 403):
        return "Slack didn't let the bot download it"
    if status in (404, 410):
        return "it is no longer on Slack"
    return f"Slack answered HTTP {status}"


def _too_large(size: int | None, limits: FileLimits) -> DownloadProblem:
    limit = megabytes(limits.max_download_bytes)
    if size is None:
        return DownloadProblem(f"the file is larger than the {limit} limit")
    return DownloadProblem(f"the file is too large ({megabytes(size)}; the limit is {limit})")

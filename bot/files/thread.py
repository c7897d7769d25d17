"""The files of the messages a turn keeps → content blocks for the user turn each belongs to,
plus what the user should be told about the files Claude couldn't see.

Files are taken newest first within the room one request has (`request_size.RequestRoom`), a few
downloads at a time, so a turn holds at most those downloads' bytes, the files being decoded,
and what the request will carry. However many turns run, the process prepares at most
`PREPARES_AT_ONCE` files at a time.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import aiohttp

from bot.files.cache import FileCache, cache_key
from bot.files.download import Origin, download
from bot.files.estimate import declared_kind, declared_size
from bot.files.model import (
    ContentBlock,
    FileLimits,
    Prepared,
    SlackFile,
    display_name,
    left_out,
    pdf_too_large,
)
from bot.files.request_size import RequestRoom, scale_for_many_images

DOWNLOADS_AT_ONCE = 4
PREPARES_AT_ONCE = 2
"""In the whole process. An image at the pixel limit takes a quarter of a GB to decode: two at
once keep both cores of a small machine busy and its memory in bounds."""
_preparing = threading.BoundedSemaphore(PREPARES_AT_ONCE)
EXTERNAL = "it is stored outside Slack, where the bot can't open it"
HIDDEN = "Slack hides it: the workspace's plan limits how far back files can be seen"


class ThreadAttachments(NamedTuple):
    blocks: dict[str, list[ContentBlock]]
    """By message `ts`: what `build_messages(..., attachments=...)` takes."""
    notes: list[str]
    """One line each, for a footer on the reply: files left out or changed, and why."""
    tokens: dict[str, float]
    """By message `ts`: what its blocks will take of Claude's context, estimated."""


async def attachments_for_thread(
    messages: Sequence[Mapping[str, Any]],
    *,
    session: aiohttp.ClientSession,
    team_id: str,
    token: str,
    origins: frozenset[Origin],
    limits: FileLimits,
    cache: FileCache,
    downloads_at_once: int = DOWNLOADS_AT_ONCE,
) -> ThreadAttachments:
    """`messages` oldest first, only those whose files Claude should see (not the bot's own)."""
    slots = [
        (str(message.get("ts")), file)
        for message in messages
        for file in message.get("files") or ()
        if isinstance(file, Mapping)
    ]
    downloading = asyncio.Semaphore(downloads_at_once)

    async def fetch_and_prepare(file: SlackFile) -> Prepared:
        async with downloading:
            data = await download(session, file, token, origins, limits)
            if isinstance(data, bytes):
                return await asyncio.to_thread(_prepare, file, data, limits)
        name = display_name(file)
        note = data.reason if data.scope_missing else f"{name}: {data.reason}"
        return left_out(str(file.get("id") or ""), name, "unavailable", note)

    async def one(file: SlackFile) -> Prepared:
        key = cache_key(file, team_id)
        if key is None:
            return await fetch_and_prepare(file)
        return await cache.get_or_make(key, lambda: fetch_and_prepare(file))

    room = RequestRoom(limits)
    prepared: dict[int, Prepared] = {}
    in_flight: list[tuple[int, SlackFile, asyncio.Task[Prepared]]] = []

    async def settle_oldest_started() -> None:
        index, _, task = in_flight.pop(0)
        prepared[index] = room.take(await task)

    try:
        for index in reversed(range(len(slots))):
            file = slots[index][1]
            early = _not_downloadable(file, limits) or room.refuses(file, [f for _, f, _ in in_flight])
            if early is not None:
                prepared[index] = early
                continue
            if len(in_flight) >= downloads_at_once:
                await settle_oldest_started()
            in_flight.append((index, file, asyncio.create_task(one(file))))
        while in_flight:
            await settle_oldest_started()
    finally:
        for _, _, task in in_flight:
            task.cancel()
    fitted = scale_for_many_images([prepared[index] for index in range(len(slots))], limits)
    blocks: dict[str, list[ContentBlock]] = {}
    tokens: dict[str, float] = {}
    for (ts, _), item in zip(slots, fitted, strict=True):
        if item.blocks:
            blocks.setdefault(ts, []).extend(item.blocks)
            tokens[ts] = tokens.get(ts, 0.0) + item.tokens
    notes = [item.note for item in fitted if item.note] + room.notes()
    return ThreadAttachments(blocks, list(dict.fromkeys(notes)), tokens)


def _prepare(file: SlackFile, data: bytes, limits: FileLimits) -> Prepared:
    """On a worker thread, a few at a time in the whole process (`_preparing`: memory). The
    decoders (Pillow with its HEIF plugin, pypdf: about 13 MiB) are imported here with the first
    file, not by every process that merely starts."""
    from bot.files.prepare import prepare

    with _preparing:
        return prepare(file, data, limits)


def _not_downloadable(file: SlackFile, limits: FileLimits) -> Prepared | None:
    """Files whose object alone says there is nothing to download, or nothing worth it. A
    deleted file is left out without a word: whoever deleted it knows."""
    file_id, name = str(file.get("id") or ""), display_name(file)
    if file.get("mode") == "tombstone":
        return Prepared.of(file_id, name, "skipped", ())
    if file.get("mode") == "external" or file.get("is_external"):
        return left_out(file_id, name, "skipped", f"{name}: {EXTERNAL}")
    if file.get("hidden_by_limit"):
        return left_out(file_id, name, "unavailable", f"{name}: {HIDDEN}")
    size = declared_size(file)
    if declared_kind(file) == "pdf" and size is not None and size > limits.pdf_max_bytes:
        return left_out(file_id, name, "skipped", f"{name}: {pdf_too_large(size, limits)}")
    return None

"""Every file in a thread → content blocks for the user turn each belongs to, plus what the
user should be told about the files Claude couldn't see."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import aiohttp

from bot.files.budget import fit_request
from bot.files.cache import FileCache, cache_key
from bot.files.download import Origin, download
from bot.files.model import ContentBlock, FileLimits, Prepared, SlackFile, display_name, left_out

DOWNLOADS_AT_ONCE = 4
EXTERNAL = "it is stored outside Slack, where the bot can't open it"
HIDDEN = "Slack hides it: the workspace's plan limits how far back files can be seen"


class ThreadAttachments(NamedTuple):
    blocks: dict[str, list[ContentBlock]]
    """By message `ts`: what `build_messages(..., attachments=...)` takes."""
    notes: list[str]
    """One line each, for a footer on the reply: files left out or changed, and why."""


async def attachments_for_thread(
    messages: Sequence[Mapping[str, Any]],
    *,
    session: aiohttp.ClientSession,
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
    gate = asyncio.Semaphore(downloads_at_once)

    async def fetch_and_prepare(file: SlackFile) -> Prepared:
        async with gate:
            data = await download(session, file, token, origins, limits)
            if isinstance(data, bytes):
                return await asyncio.to_thread(_prepare, file, data, limits)
        name = display_name(file)
        note = data.reason if data.scope_missing else f"{name}: {data.reason}"
        return left_out(str(file.get("id") or ""), name, "unavailable", note)

    async def one(file: SlackFile) -> Prepared:
        early = _not_downloadable(file)
        if early is not None:
            return early
        key = cache_key(file)
        if key is None:
            return await fetch_and_prepare(file)
        return await cache.get_or_make(key, lambda: fetch_and_prepare(file))

    prepared = await asyncio.gather(*(one(file) for _, file in slots))
    fitted, budget_notes = fit_request(prepared, limits)
    blocks: dict[str, list[ContentBlock]] = {}
    for (ts, _), item in zip(slots, fitted, strict=True):
        if item.blocks:
            blocks.setdefault(ts, []).extend(item.blocks)
    notes = [item.note for item in fitted if item.note] + budget_notes
    return ThreadAttachments(blocks, list(dict.fromkeys(notes)))


def _prepare(file: SlackFile, data: bytes, limits: FileLimits) -> Prepared:
    """On a worker thread. The decoders (Pillow with its HEIF plugin, pypdf: about 13 MiB) are
    imported here with the first file, not by every process that merely starts."""
    from bot.files.prepare import prepare

    return prepare(file, data, limits)


def _not_downloadable(file: SlackFile) -> Prepared | None:
    """Files whose object alone says there is nothing to download. A deleted file is left out
    without a word: whoever deleted it knows."""
    file_id, name = str(file.get("id") or ""), display_name(file)
    if file.get("mode") == "tombstone":
        return Prepared.of(file_id, name, "skipped", ())
    if file.get("mode") == "external" or file.get("is_external"):
        return left_out(file_id, name, "skipped", f"{name}: {EXTERNAL}")
    if file.get("hidden_by_limit"):
        return left_out(file_id, name, "unavailable", f"{name}: {HIDDEN}")
    return None

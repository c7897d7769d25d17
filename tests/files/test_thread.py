"""The whole file path against the fake Slack: its file URLs, its token check, its sign-in page."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.fakes.slack import FakeSlack
from bot.files import FILES_READ_MISSING, FileCache, FileLimits, allowed_origins, attachments_for_thread
from bot.files import prepare as prepare_module
from bot.files import thread as thread_module
from bot.files.model import placeholder
from bot.files.request_size import TOO_MANY_BYTES
from tests.files import samples
from tests.files.samples import decoded_image

TOKEN = "xoxb-test-token"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def message(ts: str, *files: dict) -> dict:
    return {"type": "message", "ts": ts, "user": "U1", "text": "look", "files": list(files)}


async def read(slack: FakeSlack, session: aiohttp.ClientSession, messages: list[dict], cache: FileCache):
    return await attachments_for_thread(
        messages,
        session=session,
        team_id="T0TEAM",
        token=TOKEN,
        origins=allowed_origins(slack.api_url),
        limits=FileLimits(),
        cache=cache,
    )


async def test_every_file_lands_in_its_own_message_in_order(slack, session) -> None:
    shot = slack.add_file(samples.png(), "shot.png", mimetype="image/png", filetype="png")
    photo = slack.add_file(samples.jpeg((2000, 1500), orientation=6), "IMG_0001.jpg", mimetype="image/jpeg")
    doc = slack.add_file(samples.pdf(2), "paper.pdf", mimetype="application/pdf", filetype="pdf")
    notes = slack.add_file(b"a,b\n1,2\n", "data.csv", mimetype="text/csv", filetype="csv")
    archive = slack.add_file(samples.zip_archive(), "report.zip", mimetype="application/zip", filetype="zip")
    thread = [
        message("1.0", shot),
        {"ts": "1.5", "text": "no files"},
        message("2.0", photo, doc, notes, archive),
    ]

    result = await read(slack, session, thread, FileCache())

    assert set(result.blocks) == {"1.0", "2.0"}
    assert [block["type"] for block in result.blocks["1.0"]] == ["image"]
    image, pdf, csv, placeholder = result.blocks["2.0"]
    assert decoded_image(image).height > decoded_image(image).width
    assert (pdf["type"], pdf["source"]["media_type"]) == ("document", "application/pdf")
    assert (csv["title"], csv["source"]["data"]) == ("data.csv", "a,b\n1,2\n")
    assert placeholder == {"type": "text", "text": "[attachment report.zip: not readable]"}
    assert result.notes == ["report.zip: Claude can't open archives"]
    assert {auth for _, auth in slack.file_downloads} == {f"Bearer {TOKEN}"}


async def test_each_file_is_downloaded_once_per_process(slack, session) -> None:
    cache = FileCache()
    shots = [
        slack.add_file(samples.png(color=(i, 0, 0)), f"s{i}.png", mimetype="image/png") for i in range(5)
    ]
    thread = [message(f"{i}.0", shot) for i, shot in enumerate(shots)]
    for turn in range(1, 21):
        thread.append({"ts": f"{100 + turn}.0", "text": "and now?"})
        result = await read(slack, session, thread, cache)
        assert len(result.blocks) == 5
    assert len(slack.file_downloads) == 5
    assert (cache.stats.misses, cache.stats.hits) == (5, 95)


async def test_without_files_read_the_user_is_told_once_and_nothing_is_kept(slack, session) -> None:
    slack.file_mode = "login_page"
    cache = FileCache()
    files = [slack.add_file(samples.png(), f"{i}.png", mimetype="image/png") for i in range(3)]
    result = await read(slack, session, [message("1.0", *files)], cache)
    assert result.notes == [FILES_READ_MISSING]
    assert result.blocks["1.0"] == [
        {"type": "text", "text": f"[attachment {i}.png: not readable]"} for i in range(3)
    ]
    assert cache.stats.items == 0


async def test_a_redirect_off_slack_gets_nothing_and_says_so(slack, session) -> None:
    file = slack.add_file(samples.png(), "a.png", mimetype="image/png")
    slack.redirect_file(file["id"], "http://127.0.0.1:9/steal")
    result = await read(slack, session, [message("1.0", file)], FileCache())
    assert result.notes == ["a.png: its link points outside Slack, so the bot didn't download it"]


async def test_files_that_cannot_be_downloaded_are_named_without_a_request(slack, session) -> None:
    big = slack.add_file(b"x", "movie.mov", mimetype="video/quicktime", size=200 * 1024 * 1024)
    empty = slack.add_file(b"", "empty.txt", mimetype="text/plain")
    external = {"id": "F9", "name": "Plan.gdoc", "mode": "external", "is_external": True}
    deleted = {"id": "F8", "mode": "tombstone"}
    result = await read(slack, session, [message("1.0", big, empty, external, deleted)], FileCache())
    assert result.notes == [
        "movie.mov: the file is too large (200 MB; the limit is 30 MB)",
        "empty.txt: the file is empty",
        "Plan.gdoc: it is stored outside Slack, where the bot can't open it",
    ]
    assert len(result.blocks["1.0"]) == 3
    assert slack.file_downloads == []


async def test_one_bad_file_costs_only_itself(slack, session) -> None:
    broken = slack.add_file(samples.png((400, 300))[:80], "broken.png", mimetype="image/png")
    bomb = slack.add_file(samples.pixel_bomb(), "bomb.png", mimetype="image/png")
    liar = slack.add_file(b"", "liar.txt", mimetype="text/plain", size=10)
    good = slack.add_file(samples.png(), "good.png", mimetype="image/png")
    result = await read(slack, session, [message("1.0", broken, bomb, liar, good)], FileCache())
    assert result.notes == [
        "broken.png: the image is damaged or incomplete",
        "bomb.png: the image is too large to open",
        "liar.txt: the file is empty",
    ]
    assert [block["type"] for block in result.blocks["1.0"]] == ["text", "text", "text", "image"]


async def test_the_oldest_files_give_way_to_the_request_limit(slack, session) -> None:
    old = slack.add_file(b"old notes\n" * 5000, "old.txt", mimetype="text/plain")
    new = slack.add_file(b"new notes\n" * 5000, "new.txt", mimetype="text/plain")
    result = await attachments_for_thread(
        [message("1.0", old), message("2.0", new)],
        session=session,
        team_id="T0TEAM",
        token=TOKEN,
        origins=allowed_origins(slack.api_url),
        limits=FileLimits(attachments_max_bytes=60_000),
        cache=FileCache(),
    )
    assert result.blocks["1.0"] == [placeholder("old.txt", TOO_MANY_BYTES)]
    assert result.blocks["2.0"][0]["title"] == "new.txt"
    assert result.notes == ["To keep the files within 0.1 MB per request, the oldest were left out: old.txt"]


async def test_only_the_newest_files_that_fit_are_downloaded(slack, session) -> None:
    data = samples.pdf(2)
    weight = -(-len(data) // 3) * 4
    reports = [
        slack.add_file(data, f"report{i:02d}.pdf", mimetype="application/pdf", filetype="pdf")
        for i in range(24)
    ]
    result = await attachments_for_thread(
        [message(f"{i}.0", report) for i, report in enumerate(reports)],
        session=session,
        team_id="T0TEAM",
        token=TOKEN,
        origins=allowed_origins(slack.api_url),
        limits=FileLimits(attachments_max_bytes=int(weight * 2.5)),
        cache=FileCache(),
    )
    assert sorted(file_id for file_id, _ in slack.file_downloads) == sorted(r["id"] for r in reports[-2:])
    assert [b["type"] for b in result.blocks["23.0"]] == ["document"]
    assert result.blocks["21.0"] == [placeholder("report21.pdf", TOO_MANY_BYTES)]
    assert result.notes == [
        "To keep the files within 0.0 MB per request, the oldest were left out: "
        "report00.pdf, report01.pdf, report02.pdf, report03.pdf, report04.pdf and 17 more"
    ]


async def test_a_pdf_declared_over_the_limit_is_not_downloaded(slack, session) -> None:
    big = slack.add_file(samples.pdf(1), "huge.pdf", mimetype="application/pdf", size=25 * 1024 * 1024)
    result = await read(slack, session, [message("1.0", big)], FileCache())
    assert result.notes == ["huge.pdf: the PDF is too large (25 MB; the limit is 20 MB)"]
    assert slack.file_downloads == []


async def test_the_process_prepares_two_files_at_a_time_whatever_the_turns(
    slack, session, monkeypatch
) -> None:
    counts = {"now": 0, "most": 0}
    lock = threading.Lock()
    original = prepare_module.prepare

    def watched(file, data, limits):
        with lock:
            counts["now"] += 1
            counts["most"] = max(counts["most"], counts["now"])
        time.sleep(0.05)
        with lock:
            counts["now"] -= 1
        return original(file, data, limits)

    monkeypatch.setattr(prepare_module, "prepare", watched)
    turns = [
        [message(f"{i}.0", slack.add_file(samples.png(color=(t, i, 0)), f"t{t}-{i}.png")) for i in range(4)]
        for t in range(4)
    ]
    results = await asyncio.gather(*(read(slack, session, turn, FileCache()) for turn in turns))
    assert all(len(result.blocks) == 4 for result in results)
    assert counts["most"] == thread_module.PREPARES_AT_ONCE == 2

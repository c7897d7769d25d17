"""Files in a thread reach Claude end to end: real bytes through the fake Slack's file route."""

from __future__ import annotations

import base64
import io

from aiohttp import web
from PIL import Image

from tests.conftest import Harness
from tests.e2e.test_core_loop import notices
from tests.files import samples


def blocks_of(request: dict, kind: str) -> list[dict]:
    return [b for m in request["messages"] for b in m["content"] if b["type"] == kind]


async def test_screenshots_photos_pdfs_and_text_reach_claude_within_limits(harness: Harness) -> None:
    slack = harness.slack
    files = [
        slack.add_file(samples.png((1920, 1080)), "screenshot.png", mimetype="image/png", filetype="png"),
        slack.add_file(samples.big_jpeg(), "photo.jpg", mimetype="image/jpeg", filetype="jpg"),
        slack.add_file(samples.jpeg((600, 400), orientation=6), "rotated.jpg", mimetype="image/jpeg"),
        slack.add_file(samples.bmp(), "diagram.bmp", mimetype="image/bmp", filetype="bmp"),
        slack.add_file(samples.png((300, 200)), "renamed.jpg", mimetype="image/jpeg", filetype="jpg"),
        slack.add_file(samples.pdf(3), "report.pdf", mimetype="application/pdf", filetype="pdf"),
        slack.add_file("naïve café, ümlaut\n".encode("latin-1"), "notes.txt", mimetype="text/plain"),
        slack.add_file(samples.zip_archive(), "report.zip", mimetype="application/zip", filetype="zip"),
    ]
    harness.claude.script("I see them.")
    message = await slack.user_says(harness.url, "C1", "U1", "<@UBOT> what are these?", files=files)
    await harness.wait_for_turns(1)
    [request] = harness.claude.message_requests()

    images = blocks_of(request, "image")
    assert len(images) == 5
    media = [b["source"]["media_type"] for b in images]
    assert media[4] == "image/png", "a PNG named .jpg is sent as what it is"
    for block in images:
        data = base64.b64decode(block["source"]["data"])
        assert len(block["source"]["data"]) <= 5 * 1024 * 1024
        with Image.open(io.BytesIO(data)) as image:
            assert max(image.size) <= 1568 and image.width * image.height <= 1_150_000
            assert image.format.lower() == block["source"]["media_type"].split("/")[1].replace("jpeg", "jpeg")
    with Image.open(io.BytesIO(base64.b64decode(images[2]["source"]["data"]))) as rotated:
        assert rotated.size[0] < rotated.size[1], "EXIF orientation applied"
    documents = blocks_of(request, "document")
    assert {d["source"]["media_type"] for d in documents} == {"application/pdf", "text/plain"}
    text_doc = next(d for d in documents if d["source"]["media_type"] == "text/plain")
    assert "naïve café" in text_doc["source"]["data"]
    texts = " ".join(b["text"] for b in blocks_of(request, "text"))
    assert "[attachment report.zip: not readable]" in texts
    [note] = notices(harness, "C1", message["ts"])
    assert "report.zip" in note["text"]


async def test_each_file_is_downloaded_once_across_turns(harness: Harness) -> None:
    slack = harness.slack
    shots = [slack.add_file(samples.png((800, 600)), f"shot{i}.png", mimetype="image/png") for i in range(3)]
    harness.claude.script("one", "two", "three")
    root = await slack.user_says(harness.url, "C1", "U1", "<@UBOT> look", files=shots)
    await harness.wait_for_turns(1)
    for turn in range(2):
        await slack.user_says(harness.url, "C1", "U1", f"and now {turn}?", thread_ts=root["ts"])
        await harness.wait_for_turns(2 + turn)
    assert sorted(file_id for file_id, _ in slack.file_downloads) == sorted(f["id"] for f in shots)
    assert all(len(blocks_of(r, "image")) == 3 for r in harness.claude.message_requests())


async def test_login_page_instead_of_a_file_says_files_read_is_missing(harness: Harness) -> None:
    slack = harness.slack
    slack.file_mode = "login_page"
    shot = slack.add_file(samples.png(), "shot.png", mimetype="image/png")
    harness.claude.script("answer without the file")
    message = await slack.user_says(harness.url, "C1", "U1", "<@UBOT> see this", files=[shot])
    await harness.wait_for_turns(1)
    [note] = notices(harness, "C1", message["ts"])
    assert "files:read" in note["text"]
    assert slack.bot_messages("C1", message["ts"])[0]["text"] == "answer without the file"


async def test_bad_files_never_fail_the_reply(harness: Harness) -> None:
    slack = harness.slack
    files = [
        slack.add_file(b"", "empty.txt", mimetype="text/plain"),
        slack.add_file(samples.png(), "huge.png", mimetype="image/png", size=200 * 1024 * 1024),
        slack.add_file(samples.png()[:60], "truncated.png", mimetype="image/png"),
        slack.add_file(samples.pixel_bomb(), "bomb.png", mimetype="image/png"),
        slack.add_file(samples.png((64, 64)), "fine.png", mimetype="image/png"),
    ]
    harness.claude.script("still answering")
    message = await slack.user_says(harness.url, "C1", "U1", "<@UBOT> files", files=files)
    [row] = await harness.wait_for_turns(1)
    assert row.error_kind is None
    [request] = harness.claude.message_requests()
    assert len(blocks_of(request, "image")) == 1
    [note] = notices(harness, "C1", message["ts"])
    for name in ("empty.txt", "huge.png", "truncated.png", "bomb.png"):
        assert name in note["text"]
    assert "huge.png" not in [fid for fid, _ in slack.file_downloads], "size checked before downloading"


async def test_the_token_never_leaves_slacks_hosts_even_through_a_redirect(harness: Harness) -> None:
    seen: list[dict[str, str]] = []

    async def elsewhere(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.Response(body=samples.png(), content_type="image/png")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", elsewhere)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        shot = harness.slack.add_file(samples.png(), "shot.png", mimetype="image/png")
        harness.slack.redirect_file(shot["id"], f"http://127.0.0.1:{port}/stolen.png")
        harness.claude.script("ok")
        await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> this", files=[shot])
        await harness.wait_for_turns(1)
    finally:
        await runner.cleanup()
    assert all("xoxb" not in " ".join(headers.values()) for headers in seen)
    assert seen == [], "the redirect off Slack's hosts is not followed at all"

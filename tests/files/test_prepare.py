import base64

import pytest

from bot.files import prepare as prepare_module
from bot.files.model import FileLimits
from bot.files.prepare import FAILED, prepare
from tests.files import samples
from tests.files.samples import decoded_image

LIMITS = FileLimits()


def slack_file(name: str, mimetype: str = "application/octet-stream", **extra: object) -> dict:
    return {"id": "F1", "name": name, "title": name, "mimetype": mimetype, "size": 1, **extra}


def test_a_png_named_jpg_is_sent_as_png() -> None:
    prepared = prepare(slack_file("photo.jpg", "image/jpeg"), samples.png(), LIMITS)
    assert prepared.kind == "image"
    assert prepared.blocks[0]["source"]["media_type"] == "image/png"
    assert decoded_image(prepared.blocks[0]).format == "PNG"
    assert prepared.size > len(prepared.blocks[0]["source"]["data"])


def test_a_zip_is_skipped_with_a_placeholder_and_a_note() -> None:
    prepared = prepare(slack_file("report.zip", "application/zip"), samples.zip_archive(), LIMITS)
    assert prepared.kind == "skipped"
    assert prepared.blocks == ({"type": "text", "text": "[attachment report.zip: not readable]"},)
    assert prepared.note == "report.zip: Claude can't open archives"


@pytest.mark.parametrize(
    ("name", "data", "note"),
    [
        (
            "deck.docx",
            samples.docx(),
            "deck.docx: Claude can't read Office files; export it as PDF to share it",
        ),
        (
            "clip.mp4",
            b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",
            "clip.mp4: Claude can't watch videos",
        ),
        ("empty.txt", b"", "empty.txt: the file is empty"),
        ("blank.txt", b"\n\n", "blank.txt: the file is empty"),
        ("a.out", b"\x7fELF" + bytes(60), "a.out: not a kind of file Claude can read"),
        ("broken.png", samples.png()[:60], "broken.png: the image is damaged or incomplete"),
        ("bomb.png", samples.pixel_bomb(), "bomb.png: the image is too large to open"),
    ],
)
def test_what_claude_cannot_read_is_named(name: str, data: bytes, note: str) -> None:
    prepared = prepare(slack_file(name), data, LIMITS)
    assert prepared.kind == "skipped"
    assert prepared.note == note
    assert prepared.blocks == ({"type": "text", "text": f"[attachment {name}: not readable]"},)


def test_a_pdf_becomes_a_document() -> None:
    prepared = prepare(slack_file("paper.pdf", "application/pdf"), samples.pdf(2), LIMITS)
    assert prepared.kind == "pdf"
    assert prepared.blocks[0]["type"] == "document"
    assert prepared.blocks[0]["title"] == "paper.pdf"


def test_an_uploaded_html_file_is_read_as_text() -> None:
    prepared = prepare(slack_file("page.html", "text/html"), samples.LOGIN_PAGE, LIMITS)
    assert prepared.kind == "text"
    assert prepared.blocks[0]["source"]["data"] == samples.LOGIN_PAGE.decode()


def test_a_snippet_is_named_by_its_title() -> None:
    snippet = slack_file("-.py", "text/plain", mode="snippet", title="deploy script", filetype="python")
    prepared = prepare(snippet, b"print('hi')\n", LIMITS)
    assert prepared.kind == "text"
    assert prepared.blocks[0]["title"] == "deploy script"


def test_names_are_kept_to_one_line() -> None:
    prepared = prepare(slack_file("evil\n]name.zip"), samples.zip_archive(), LIMITS)
    assert prepared.blocks[0]["text"] == "[attachment evil ]name.zip: not readable]"


def test_an_unexpected_error_costs_the_file_not_the_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("decoder bug")

    monkeypatch.setattr(prepare_module, "image_block", explode)
    prepared = prepare(slack_file("x.png"), samples.png(), LIMITS)
    assert (prepared.kind, prepared.note) == ("skipped", f"x.png: {FAILED}")


def test_animated_gif_note_names_the_file() -> None:
    prepared = prepare(slack_file("party.gif"), samples.animated_gif(), LIMITS)
    assert prepared.kind == "image"
    assert prepared.note == "party.gif: only the first frame of the animation was sent"
    assert base64.b64decode(prepared.blocks[0]["source"]["data"]).startswith(b"\x89PNG")

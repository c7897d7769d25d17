import codecs

import pytest

from bot.files.sniff import sniff, text_encoding
from tests.files import samples


@pytest.mark.parametrize(
    ("data", "kind", "media_type"),
    [
        (b"", "empty", "application/x-empty"),
        (samples.png(), "image", "image/png"),
        (samples.jpeg(), "image", "image/jpeg"),
        (samples.animated_gif(), "image", "image/gif"),
        (samples.encode(samples.Image.new("RGB", (8, 8)), "WEBP"), "image", "image/webp"),
        (samples.encode(samples.Image.new("RGB", (8, 8)), "TIFF"), "image", "image/tiff"),
        (samples.bmp(), "image", "image/bmp"),
        (samples.heic(), "image", "image/heic"),
        (samples.encode(samples.Image.new("RGB", (8, 8)), "AVIF"), "image", "image/avif"),
        (samples.pdf(1), "pdf", "application/pdf"),
        (samples.zip_archive(), "archive", "application/zip"),
        (samples.docx(), "office", "application/vnd.openxmlformats-officedocument"),
        (b"\x1f\x8b\x08\x00" + bytes(20), "archive", "application/gzip"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "video", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "video", "video/quicktime"),
        (b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom", "audio", "audio/mp4"),
        (b"ID3\x04\x00" + bytes(30), "audio", "audio/mpeg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio", "audio/wav"),
        (samples.LOGIN_PAGE, "html", "text/html"),
        (b"# Notes\n\nBMW and BMX are not bitmaps.\n", "text", "text/plain"),
        (b"BM is how this log starts, not a bitmap header at all\n", "text", "text/plain"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(64), "unknown", "application/octet-stream"),
    ],
)
def test_the_bytes_decide_what_a_file_is(data: bytes, kind: str, media_type: str) -> None:
    sniffed = sniff(data)
    assert (sniffed.kind, sniffed.media_type) == (kind, media_type)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"plain ascii\n", "utf-8"),
        ("naïve café ✓\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + b"with a BOM", "utf-8-sig"),
        ("UTF-16 text, ünïcode".encode("utf-16"), "utf-16"),
        ("Größe: 5 €".encode("cp1252"), "cp1252"),
        ("caf\xe9 \x81".encode("latin-1"), "latin-1"),
        (b"binary\x00with a NUL", None),
        (bytes(range(1, 32)) * 20, None),
    ],
)
def test_text_encodings_are_recognised(data: bytes, encoding: str | None) -> None:
    assert text_encoding(data) == encoding

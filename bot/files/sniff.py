"""What a file really is, from its bytes. Names and declared mimetypes are whatever the uploader's
device guessed; the API rejects an image whose declared type doesn't match its bytes."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Literal

SniffKind = Literal["empty", "image", "pdf", "text", "html", "archive", "office", "video", "audio", "unknown"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
_BMP_HEADER_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})
_OFFICE_ZIP_MARKERS = (b"word/", b"xl/", b"ppt/", b"application/vnd.oasis.opendocument")
_BINARY_CONTROLS = bytes(byte for byte in range(0x20) if byte not in b"\t\n\r\f\v\x1b\x08")
TEXT_MAX_CONTROL_RATIO = 0.01
_SAMPLE = 64 * 1024


@dataclass(frozen=True)
class Sniffed:
    kind: SniffKind
    media_type: str
    encoding: str | None = None
    """For text and HTML: the codec that decodes the whole file."""


def sniff(data: bytes) -> Sniffed:
    if not data:
        return Sniffed("empty", "application/x-empty")
    found = _image(data) or _container(data) or _media(data)
    if found:
        return found
    encoding = text_encoding(data)
    if encoding is None:
        return Sniffed("unknown", "application/octet-stream")
    if _looks_like_html(data, encoding):
        return Sniffed("html", "text/html", encoding)
    return Sniffed("text", "text/plain", encoding)


def _image(data: bytes) -> Sniffed | None:
    head = data[:16]
    media_type = None
    if head.startswith(b"\xff\xd8\xff"):
        media_type = "image/jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        media_type = "image/png"
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        media_type = "image/gif"
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        media_type = "image/webp"
    elif head[:4] in (b"II*\x00", b"MM\x00*"):
        media_type = "image/tiff"
    elif _is_bmp(data):
        media_type = "image/bmp"
    elif head[:4] == b"8BPS" and head[4:6] in (b"\x00\x01", b"\x00\x02"):
        media_type = "image/vnd.adobe.photoshop"
    elif head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or head.startswith(b"\xff\x4f\xff\x51"):
        media_type = "image/jp2"
    elif head[4:8] == b"ftyp":
        brands = _ftyp_brands(data)
        if brands & _AVIF_BRANDS:
            media_type = "image/avif"
        elif brands & _HEIF_BRANDS:
            media_type = "image/heic"
    return Sniffed("image", media_type) if media_type else None


def _is_bmp(data: bytes) -> bool:
    """ "BM" alone would claim any text starting with those letters: check the header's shape."""
    if len(data) < 26 or data[:2] != b"BM" or data[6:10] != b"\x00\x00\x00\x00":
        return False
    return int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES


def _ftyp_brands(data: bytes) -> set[bytes]:
    box_size = int.from_bytes(data[:4], "big")
    end = min(max(box_size, 16), 4096, len(data))
    return {data[8:12]} | {data[i : i + 4] for i in range(16, end - 3, 4)}


def _container(data: bytes) -> Sniffed | None:
    head = data[:8]
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf", "application/pdf")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        start = data[:_SAMPLE]
        if any(marker in start for marker in _OFFICE_ZIP_MARKERS):
            return Sniffed("office", "application/vnd.openxmlformats-officedocument")
        return Sniffed("archive", "application/zip")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Sniffed("office", "application/x-ole-storage")
    archives = (
        (b"\x1f\x8b", "application/gzip"),
        (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
        (b"Rar!\x1a\x07", "application/vnd.rar"),
        (b"BZh", "application/x-bzip2"),
        (b"\xfd7zXZ\x00", "application/x-xz"),
        (b"\x28\xb5\x2f\xfd", "application/zstd"),
    )
    for magic, media_type in archives:
        if head.startswith(magic):
            return Sniffed("archive", media_type)
    if data[257:262] == b"ustar":
        return Sniffed("archive", "application/x-tar")
    return None


def _media(data: bytes) -> Sniffed | None:
    head = data[:12]
    if head[4:8] == b"ftyp":
        if _ftyp_brands(data) & _AUDIO_BRANDS:
            return Sniffed("audio", "audio/mp4")
        return Sniffed("video", "video/quicktime" if head[8:12] == b"qt  " else "video/mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video", "video/webm")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video", "video/x-msvideo")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio", "audio/wav")
    if head.startswith((b"ID3", b"OggS", b"fLaC", b"#!AMR")):
        return Sniffed("audio", "audio/mpeg" if head.startswith(b"ID3") else "audio/ogg")
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return Sniffed("audio", "audio/mpeg")
    return None


def text_encoding(data: bytes) -> str | None:
    """The codec that reads `data` as text, or None when it is binary. Only a BOM vouches for
    UTF-16/32; otherwise NULs or many control characters mean binary, and text that isn't
    UTF-8 is read as Windows-1252 (Latin-1 plus what Windows users type, like €)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding if _decodes(data, encoding) else None
    if b"\x00" in data:
        return None
    sample = data[:_SAMPLE]
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROLS))
    if controls > len(sample) * TEXT_MAX_CONTROL_RATIO:
        return None
    if _decodes(data, "utf-8"):
        return "utf-8"
    return "cp1252" if _decodes(data, "cp1252") else "latin-1"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_html(data: bytes, encoding: str) -> bool:
    head = data[:1024].decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n").lower()
    if head.startswith(("<!doctype html", "<html")):
        return True
    return head.startswith("<") and "<html" in head and ("<head" in head or "<body" in head)

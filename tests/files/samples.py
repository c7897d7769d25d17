"""Real file bytes for the tests, made on the spot: images by Pillow (and pillow-heif), PDFs by
Pillow, archives by zipfile. Cached, since a 24 MP JPEG takes a moment to make."""

from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib
from functools import cache

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

ORIENTATION = 0x0112


def noisy(size: tuple[int, int], mode: str = "RGB", grain: int = 1) -> Image.Image:
    """Noise doesn't compress, so encoded sizes are realistic rather than tiny. Coarser grain
    (noise made smaller, then scaled up) is quicker to make for big images."""
    small = (max(1, size[0] // grain), max(1, size[1] // grain))
    bands = [Image.effect_noise(small, 64 + 20 * i) for i in range(len(mode))]
    image = Image.merge(mode, bands)
    return image if grain == 1 else image.resize(size, Image.Resampling.BILINEAR)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png(size: tuple[int, int] = (320, 200), mode: str = "RGB", color: object = (30, 120, 200)) -> bytes:
    return encode(Image.new(mode, size, color), "PNG")  # type: ignore[arg-type]


@cache
def big_jpeg() -> bytes:
    return encode(noisy((6000, 4000), grain=8), "JPEG", quality=85)


def jpeg(size: tuple[int, int] = (600, 400), orientation: int | None = None, mode: str = "RGB") -> bytes:
    image = noisy(size, mode) if mode != "RGB" else Image.new("RGB", size, (200, 60, 20))
    if orientation is None:
        return encode(image, "JPEG", quality=90)
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return encode(image, "JPEG", quality=90, exif=exif.tobytes())


def bmp(size: tuple[int, int] = (300, 200)) -> bytes:
    return encode(Image.new("RGB", size, (10, 200, 10)), "BMP")


def animated_gif(frames: int = 3, size: tuple[int, int] = (120, 80)) -> bytes:
    images = [Image.new("RGB", size, (i * 60, 100, 200 - i * 40)) for i in range(frames)]
    return encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)


def heic(size: tuple[int, int] = (640, 480)) -> bytes:
    return encode(Image.new("RGB", size, (90, 90, 200)), "HEIF", quality=50)


def pixel_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose header claims 10 gigapixels while the file is a few dozen bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def pdf(pages: int = 3) -> bytes:
    images = [Image.new("RGB", (200, 260), (255, 255, 255 - i)) for i in range(pages)]
    return encode(images[0], "PDF", save_all=True, append_images=images[1:])


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(1))))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_archive(entries: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (entries or {"readme.txt": b"hello", "data.bin": bytes(range(256))}).items():
            archive.writestr(name, data)
    return out.getvalue()


def docx() -> bytes:
    return zip_archive({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


LOGIN_PAGE = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Slack</title></head>'
    b"<body><h1>Sign in to Slack</h1></body></html>"
)


def decoded_image(block: dict) -> Image.Image:
    """The image a block carries, as the API would decode it."""
    return Image.open(io.BytesIO(base64.b64decode(block["source"]["data"], validate=True)))

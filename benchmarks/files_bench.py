"""How long and how much memory it takes to prepare the files people actually share.

`python -m benchmarks.files_bench` makes the samples (a 12 MP phone photo with EXIF rotation,
a 4K screenshot, 30-page PDFs), then prepares each in a fresh process so that the resident
memory high-water mark belongs to that one file: the median of three timed runs, the
resident set's growth (ru_maxrss), and tracemalloc's peak (Python objects only: Pillow's
pixel buffers live outside it, which is why both are shown).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import random
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.files.model import FileLimits
from bot.files.prepare import prepare

RUNS = 3
ROW = "{:34} {:>9} {:>22} {:>9} {:>8} {:>7} {:>8}"
ORIENTATION = 0x0112
WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "error", "deploy", "thread", "token")


def phone_photo() -> bytes:
    """4032×3024 like a 12 MP phone camera, noisy enough to weigh what a real photo weighs
    (about 5 MB), stored sideways with EXIF orientation 6 as phones do."""
    bands = [Image.effect_noise((1344, 1008), 30 + 5 * i) for i in range(3)]
    image = Image.merge("RGB", bands).resize((4032, 3024), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def screenshot() -> bytes:
    """3840×2160 with what screenshots have: flat panels, a sidebar, and lines of text."""
    rng = random.Random(7)
    image = Image.new("RGB", (3840, 2160), (248, 248, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 520, 2160), fill=(63, 14, 64))
    draw.rectangle((520, 0, 3840, 110), fill=(255, 255, 255))
    font = ImageFont.load_default(size=26)
    for y in range(150, 2100, 44):
        x = 580
        while x < 3600:
            word = rng.choice(WORDS)
            draw.text((x, y), word, fill=(29, 28, 29), font=font)
            x += 16 * len(word) + 14
    for y in range(150, 1600, 60):
        draw.text((40, y), rng.choice(WORDS), fill=(220, 210, 220), font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def black_png(width: int = 13_000, height: int = 13_000) -> bytes:
    """A real RGB PNG of that size, all black: a few hundred KiB that decode to width x height x 3
    bytes. Compressed row by row, so making it takes no more memory than one row."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    packer = zlib.compressobj(9)
    row = bytes(1 + 3 * width)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def text_pdf(pages: int = 30) -> bytes:
    """A PDF of text pages, written out by hand: what most shared documents are."""
    rng = random.Random(11)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for _ in range(pages):
        lines = [" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(50)]
        body = "BT /F1 10 Tf 14 TL 56 790 Td " + " ".join(f"({line}) '" for line in lines) + " ET"
        stream = body.encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % content
        )
        kids.append(len(objects))
    return write_pdf(objects, kids)


def write_pdf(objects: list[bytes], kids: list[int]) -> bytes:
    """Objects 1 (catalog) and 3 on, numbered from 1, with the page tree (object 2) over `kids`,
    written out with their cross-reference table."""
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def scanned_pdf(pages: int = 30) -> bytes:
    """A PDF of page images, as a scanner makes: the heavy kind."""
    page = Image.merge("L", [Image.effect_noise((620, 877), 30)]).resize((1240, 1754)).convert("RGB")
    out = io.BytesIO()
    page.save(out, "PDF", save_all=True, append_images=[page] * (pages - 1), resolution=150)
    return out.getvalue()


SAMPLES = {
    "12 MP phone photo (JPEG, EXIF 6)": ("IMG_0001.jpg", phone_photo),
    "13000x13000 PNG (pixel bomb)": ("bomb.png", black_png),
    "4K screenshot (PNG)": ("Screenshot.png", screenshot),
    "30-page text PDF": ("report.pdf", text_pdf),
    "30-page scanned PDF": ("scan.pdf", scanned_pdf),
}


def measure(path: Path, name: str) -> dict[str, object]:
    """Runs in its own process: the resident high-water mark is only this file's."""
    data = path.read_bytes()
    file = {"id": "F1", "name": name, "size": len(data)}
    limits = FileLimits()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        prepared = prepare(file, data, limits)
        times.append(time.perf_counter() - start)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    prepare(file, data, limits)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result: dict[str, object] = {
        "input_bytes": len(data),
        "kind": prepared.kind,
        "note": prepared.note,
        "request_bytes": prepared.size,
        "median_s": statistics.median(times),
        "maxrss_delta_mb": (rss_after - rss_before) / 1024,
        "tracemalloc_peak_mb": traced_peak / (1024 * 1024),
    }
    block = prepared.blocks[0]
    if block["type"] == "text":
        result["output"] = "refused"
        return result
    if block["type"] == "image":
        with Image.open(io.BytesIO(base64.b64decode(block["source"]["data"]))) as image:
            result["output"] = f"{block['source']['media_type']} {image.width}×{image.height}"
    else:
        result["output"] = block["source"]["media_type"]
    return result


def make(directory: Path) -> None:
    for name, sample in SAMPLES.values():
        (directory / name).write_bytes(sample())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.make:
        make(args.make)
        return 0
    if args.measure:
        print(json.dumps(measure(args.measure, args.measure.name)))
        return 0
    # Each step is its own process: exec keeps the resident high-water mark of the process it
    # replaces, so this one stays small and holds no samples.
    print(ROW.format("file", "input", "output", "request", "median", "RSS +", "traced"))
    with tempfile.TemporaryDirectory() as tmp:
        _child("--make", tmp)
        for label, (name, _) in SAMPLES.items():
            r = json.loads(_child("--measure", str(Path(tmp) / name)))
            print(
                ROW.format(
                    label,
                    f"{r['input_bytes'] / 1e6:.2f} MB",
                    r["output"],
                    f"{r['request_bytes'] / 1e6:.2f} MB",
                    f"{r['median_s'] * 1000:.0f} ms",
                    f"{r['maxrss_delta_mb']:.0f} MB",
                    f"{r['tracemalloc_peak_mb']:.1f} MB",
                )
            )
            if r["note"]:
                print(f"{'':34} note: {r['note']}")
    return 0


def _child(*args: str) -> str:
    command = [sys.executable, "-m", "benchmarks.files_bench", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


if __name__ == "__main__":
    raise SystemExit(main())

"""Hostile and just large inputs, one turn each, against a real bot process.

`python -m benchmarks.hostile` runs each scenario on fresh fakes and a fresh `bot serve`
(HTTP mode, Slack's rate tiers enforced by the fake after a warm-up turn, 50 ms Slack round
trip), sends one mention, waits for the turn's ledger row, and prints what the turn cost: the
bot's resident memory before it and at its peak (VmRSS sampled every 20 ms, from /proc),
history and name calls, 429s, file downloads, and whether the answer arrived.

| scenario | the input |
|---|---|
| png-bomb | one 13000x13000 PNG of 480 KiB (507 MB of pixels once decoded) |
| png-limit | one 7000x7000 PNG: just within `IMAGE_MAX_SOURCE_PIXELS`, the largest image decoded |
| pdfs | 24 PDFs of 19 MB, one per message of a thread, then a question in it |
| photos | 8 twelve-megapixel phone photos (JPEG, EXIF rotation) in one message |
| thread | a thread of 10,000 messages, then a question in it |
| mentions | one message that mentions 350 people |
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.files_bench import black_png, phone_photo, write_pdf
from benchmarks.procs import RssSampler
from benchmarks.scenarios import Config, Workspace, workspace
from bot.fakes.slack import FakeSlack

MIB = 1024 * 1024
CHANNEL = "CBIG"
ANSWER = "Here is what I found."
SAMPLE_SECONDS = 0.02


def big_pdf(size: int = 19_000_000, pages: int = 30) -> bytes:
    """A PDF of `pages` pages carrying `size` bytes of image data, as a scan of that weight would."""
    per_page = size // pages
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for page in range(pages):
        data = os.urandom(per_page)
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width 2480 /Height 3508 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream" % (len(data), data)
        )
        image = len(objects)
        content = b"q 595 0 0 842 0 0 cm /Im%d Do Q" % page
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /XObject << /Im%d %d 0 R >> >> >>" % (len(objects), page, image)
        )
        kids.append(len(objects))
    return write_pdf(objects, kids)


Setup = Callable[[FakeSlack], Awaitable[tuple[str | None, str, list[dict[str, Any]]]]]
"""Prepares the workspace; returns the thread to ask in (None: a new mention), the text and files."""


async def _png_bomb(slack: FakeSlack) -> tuple[str | None, str, list[dict[str, Any]]]:
    file = slack.add_file(black_png(), "bomb.png", mimetype="image/png", filetype="png")
    return None, "what is in this picture?", [file]


async def _png_limit(slack: FakeSlack) -> tuple[str | None, str, list[dict[str, Any]]]:
    file = slack.add_file(black_png(7_000, 7_000), "poster.png", mimetype="image/png", filetype="png")
    return None, "what is in this picture?", [file]


async def _pdfs(slack: FakeSlack) -> tuple[str | None, str, list[dict[str, Any]]]:
    data = big_pdf()
    root = slack.post_message(CHANNEL, "U2", "this quarter's scans")
    for i in range(24):
        file = slack.add_file(data, f"scan{i:02d}.pdf", mimetype="application/pdf", filetype="pdf")
        slack.post_message(CHANNEL, "U2", f"scan {i}", thread_ts=root["ts"], files=[file])
    return str(root["ts"]), "what do these scans say?", []


async def _photos(slack: FakeSlack) -> tuple[str | None, str, list[dict[str, Any]]]:
    data = phone_photo()
    files = [
        slack.add_file(data, f"IMG_{i:04d}.jpg", mimetype="image/jpeg", filetype="jpg") for i in range(8)
    ]
    return None, "which of these photos is sharpest?", files


async def _thread(slack: FakeSlack) -> tuple[str | None, str, list[dict[str, Any]]]:
    root = slack.post_message(CHANNEL, "U2", "incident channel for the outage")
    for i in range(10_000):
        slack.post_message(CHANNEL, f"U{2 + i % 3}", f"update {i}: still looking", thread_ts=root["ts"])
    return str(root["ts"]), "summary so far?", []


async def _mentions(slack: FakeSlack) -> tuple[str | None, str, list[dict[str, Any]]]:
    people = [f"UM{i:03d}" for i in range(350)]
    for i, person in enumerate(people):
        slack.add_user(person, f"person{i}", display_name=f"Person {i}")
    return None, "who is on call? " + " ".join(f"<@{person}>" for person in people), []


SCENARIOS: dict[str, Setup] = {
    "png-bomb": _png_bomb,
    "png-limit": _png_limit,
    "pdfs": _pdfs,
    "photos": _photos,
    "thread": _thread,
    "mentions": _mentions,
}


async def run(name: str, setup: Setup, config: Config) -> dict[str, Any]:
    async with workspace(config, "auto", users=5, channels=[CHANNEL], rate_limits=True) as env:
        thread_ts, text, files = await setup(env.slack)
        env.claude.script(ANSWER)
        marks = {
            method: len(env.slack.calls_to(method)) for method in ("conversations.replies", "users.info")
        }
        downloads = len(env.slack.file_downloads)
        limited = env.slack.rate_limited
        before = env.bot.memory_kb()["VmRSS"]
        sampler = RssSampler(env.bot.pid, SAMPLE_SECONDS)
        sampler.start()
        started = time.monotonic()
        await env.slack.user_says(
            env.bot.events_url,
            CHANNEL,
            "U1",
            f"<@{env.slack.bot_user_id}> {text}",
            thread_ts=thread_ts,
            files=files,
        )
        answered = await _finished(env, started + config.timeout)
        elapsed = time.monotonic() - started
        peak = await sampler.stop()
        return {
            "scenario": name,
            "answered": answered,
            "seconds": round(elapsed, 2),
            "rss_before_mib": round(before / 1024, 1),
            "rss_peak_mib": round(peak / 1024, 1),
            "rss_growth_mib": round((peak - before) / 1024, 1),
            "history_calls": len(env.slack.calls_to("conversations.replies"))
            - marks["conversations.replies"],
            "users_info_calls": len(env.slack.calls_to("users.info")) - marks["users.info"],
            "rate_limited": env.slack.rate_limited - limited,
            "downloads": len(env.slack.file_downloads) - downloads,
            "claude_attachments": _attachments(env),
            "log": env.bot.log_summary()["levels"],
        }


async def _finished(env: Workspace, deadline: float) -> bool:
    while env.ledger_rows() < 2:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def _attachments(env: Workspace) -> int:
    requests = env.claude.message_requests()
    if len(requests) < 2:
        return 0
    return sum(
        1 for m in requests[-1]["messages"] for b in m["content"] if b.get("type") in ("image", "document")
    )


ROW = "{:10} {:>8} {:>8} {:>9} {:>9} {:>8} {:>7} {:>5} {:>9} {:>8} {:>6}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated scenarios (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(SCENARIOS)
    config = Config(tokens=20, timeout=180.0)
    results = []
    print(
        ROW.format(
            "scenario",
            "answered",
            "seconds",
            "RSS MiB",
            "peak MiB",
            "growth",
            "history",
            "names",
            "429s",
            "downloads",
            "sent",
        )
    )
    for name in chosen:
        print(f"running {name}…", file=sys.stderr)
        r = asyncio.run(run(name, SCENARIOS[name], config))
        results.append(r)
        print(
            ROW.format(
                name,
                "yes" if r["answered"] else "NO",
                f"{r['seconds']:.1f}",
                f"{r['rss_before_mib']:.0f}",
                f"{r['rss_peak_mib']:.0f}",
                f"+{r['rss_growth_mib']:.0f}",
                r["history_calls"],
                r["users_info_calls"],
                r["rate_limited"],
                r["downloads"],
                r["claude_attachments"],
            )
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

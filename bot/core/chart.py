"""The App Home's "tokens per day" bar chart as a PNG. Pure: numbers in, bytes out.

Slack shows an image block as it is, on its light and its dark theme alike, so the chart brings its
own opaque white card: dark text on white reads the same on both. It is drawn at twice the size
Slack lays it out, so it stays crisp on high-density screens.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from bot.core.token_budget import format_tokens

if TYPE_CHECKING:  # Pillow is imported where a chart is drawn, not by every process that starts
    from PIL import ImageDraw, ImageFont

    Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

WIDTH, HEIGHT = 1200, 480
"""Pixels: Slack shows it about 600 wide, so every line and letter has two pixels per point."""
PADDING = 36
FONT_SIZE = 22
LABEL_EVERY = 7
"""Days between date labels, counted back from today, so today is always labelled."""
Y_INTERVALS = 4

BACKGROUND = (255, 255, 255)
BORDER = (221, 221, 221)
TEXT = (29, 28, 29)
MUTED = (97, 96, 97)
GRID = (235, 235, 235)
BAR = (217, 119, 87)
TODAY_BAR = (168, 72, 42)
"""Claude's orange; today's bar darker, as it is still growing."""


@dataclass(frozen=True)
class Day:
    day: date
    tokens: int


def daily_tokens_png(days: Sequence[Day]) -> bytes:
    """One bar per day, oldest first, the last one today; the y axis in tokens (0 to a round number
    above the busiest day), dates under every LABEL_EVERY-th bar counting back from today."""
    if not days:
        raise ValueError("a chart needs at least one day")
    font = _font()
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, WIDTH - 1, HEIGHT - 1), radius=16, outline=BORDER, width=2)

    peak = max(d.tokens for d in days)
    step = _nice_step(peak)
    intervals = max(1, math.ceil(peak / step))
    ticks = [step * i for i in range(intervals + 1)]
    labels = [format_tokens(t) for t in ticks]
    label_width = max(_text_width(draw, label, font) for label in labels)
    line_height = _text_height(draw, font)

    # Room on the right for half of "Today" under the last bar, and above the top line for a value.
    left, right = PADDING + label_width + 14, WIDTH - PADDING - _text_width(draw, "Today", font) // 2 + 8
    plot_top, plot_bottom = PADDING + line_height + 10, HEIGHT - PADDING - line_height - 14
    scale = (plot_bottom - plot_top) / ticks[-1]

    for tick, label in zip(ticks, labels, strict=True):
        y = round(plot_bottom - tick * scale)
        draw.line((left, y, right, y), fill=GRID if tick else BORDER, width=2)
        draw.text((left - 14, y), label, font=font, fill=MUTED, anchor="rm")

    slot = (right - left) / len(days)
    bar_width = max(2, round(slot * 0.7))
    last = len(days) - 1
    busiest = max(range(len(days)), key=lambda i: (days[i].tokens, i))
    for i, day in enumerate(days):
        center = left + slot * (i + 0.5)
        if day.tokens:
            height = max(2, round(day.tokens * scale))
            x0 = round(center - bar_width / 2)
            box = (x0, plot_bottom - height, x0 + bar_width - 1, plot_bottom - 1)
            colour = TODAY_BAR if i == last else BAR
            corners = (True, True, False, False)
            draw.rounded_rectangle(box, radius=min(6, bar_width // 2), fill=colour, corners=corners)
            # The busiest day's figure, and today's unless it would crowd the busiest one's.
            if i == busiest or (i == last and abs(busiest - last) > 2):
                draw.text((center, box[1] - 6), format_tokens(day.tokens), font=font, fill=TEXT, anchor="md")
        if (last - i) % LABEL_EVERY == 0:
            text = "Today" if i == last else f"{day.day:%b} {day.day.day}"
            draw.text((center, plot_bottom + 12), text, font=font, fill=TEXT, anchor="ma")

    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _nice_step(peak: int) -> int:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten that reaches the peak in Y_INTERVALS
    steps or fewer: gridlines at round numbers."""
    if peak <= 0:
        return 1
    raw = peak / Y_INTERVALS
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return max(1, math.ceil(multiple * magnitude))
    return math.ceil(raw)


@cache
def _font() -> Font:
    """Pillow's own scalable font: the same on every machine, no system fonts needed."""
    from PIL import ImageFont

    return ImageFont.load_default(size=FONT_SIZE)


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: Font) -> int:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return int(right - left)


def _text_height(draw: ImageDraw.ImageDraw, font: Font) -> int:
    _, top, _, bottom = draw.textbbox((0, 0), "0123456789kM", font=font)
    return int(bottom - top)

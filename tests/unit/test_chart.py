"""The tokens-per-day chart, read back from its pixels: a bar per day that used tokens, heights in
proportion, today's bar set apart, axis labels drawn, an opaque card readable on either theme."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from bot.core.chart import BAR, HEIGHT, MUTED, TEXT, TODAY_BAR, WIDTH, Day, daily_tokens_png

TODAY = date(2026, 11, 22)


def days(*tokens: int) -> list[Day]:
    """Oldest first, the last one today."""
    return [Day(TODAY - timedelta(days=len(tokens) - 1 - i), n) for i, n in enumerate(tokens)]


def picture(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def bars(image: Image.Image) -> list[tuple[int, int, tuple[int, int, int]]]:
    """(left x, height, colour) of each bar, left to right: runs of columns holding bar colours."""
    pixels = image.load()
    columns = []
    for x in range(image.width):
        painted = [pixels[x, y] for y in range(image.height) if pixels[x, y] in (BAR, TODAY_BAR)]
        columns.append((len(painted), painted[0] if painted else None))
    found, x = [], 0
    while x < image.width:
        if columns[x][0]:
            start = x
            while x < image.width and columns[x][0]:
                x += 1
            middle = (start + x) // 2
            found.append((start, columns[middle][0], columns[middle][1]))
        x += 1
    return found


def test_it_is_an_opaque_png_twice_slacks_layout_size() -> None:
    image = picture(daily_tokens_png(days(*range(30))))

    assert image.format == "PNG"
    assert image.size == (WIDTH, HEIGHT) == (1200, 480)
    assert image.mode == "RGB", "no transparency: dark text must never sit on Slack's dark theme"
    assert image.getpixel((WIDTH // 2, 4)) == (255, 255, 255)


def test_one_bar_per_day_that_used_tokens_in_proportion() -> None:
    image = picture(daily_tokens_png(days(1_000, 0, 4_000, 2_000, 0, 0, 3_000)))

    found = bars(image)

    assert len(found) == 4, "days without tokens draw no bar"
    heights = [height for _, height, _ in found]
    assert heights.index(max(heights)) == 1, "the busiest day is the tallest"
    for height, tokens in zip(heights, (1_000, 4_000, 2_000, 3_000), strict=True):
        assert abs(height / heights[1] - tokens / 4_000) < 0.02
    lefts = [left for left, _, _ in found]
    assert lefts == sorted(lefts) and lefts[-1] > WIDTH * 0.8, "oldest first, today at the right"


def test_todays_bar_is_set_apart() -> None:
    colours = [colour for _, _, colour in bars(picture(daily_tokens_png(days(5, 5, 5))))]

    assert colours == [BAR, BAR, TODAY_BAR]


def test_a_tiny_day_beside_a_huge_one_still_shows() -> None:
    found = bars(picture(daily_tokens_png(days(1, 0, 2_000_000_000))))

    assert len(found) == 2 and found[0][1] >= 2


def test_axes_are_labelled() -> None:
    image = picture(daily_tokens_png(days(*([0] * 29), 750_000)))
    pixels = image.load()

    def has(colour: tuple[int, int, int], box: tuple[int, int, int, int]) -> bool:
        return any(pixels[x, y] == colour for x in range(box[0], box[2]) for y in range(box[1], box[3]))

    assert has(MUTED, (0, 0, 150, HEIGHT)), "token figures along the left"
    assert has(TEXT, (150, HEIGHT - 60, WIDTH, HEIGHT)), "dates along the bottom"
    assert has(TEXT, (WIDTH - 200, 0, WIDTH, HEIGHT - 80)), "today's figure above its bar"


def test_the_same_figures_draw_the_same_bytes() -> None:
    first = daily_tokens_png(days(3, 1, 4, 1, 5))

    assert daily_tokens_png(days(3, 1, 4, 1, 5)) == first
    assert daily_tokens_png(days(3, 1, 4, 1, 6)) != first


def test_no_days_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        daily_tokens_png([])

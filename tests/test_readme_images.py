"""The README's pictures of the sandbox are committed, and are what the browser test draws
(`SANDBOX_SCREENSHOTS=1 pytest tests/sandbox/test_page.py` redraws them)."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PICTURE = re.compile(r"!\[[^\]]+\]\((docs/images/[^)\s]+)\)")
REDRAW = "SANDBOX_SCREENSHOTS=1 pytest tests/sandbox/test_page.py"


def test_every_picture_the_readme_shows_is_committed_and_drawn_by_the_browser_test() -> None:
    pictures = PICTURE.findall((ROOT / "README.md").read_text())
    page_test = (ROOT / "tests" / "sandbox" / "test_page.py").read_text()

    assert pictures, "the README shows the sandbox"
    for picture in pictures:
        path = ROOT / picture
        assert path.is_file(), f"{picture} is missing: run {REDRAW}"
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width >= 1000, picture
        assert f'"{path.name}"' in page_test, f"{picture} is not one the browser test draws"

"""Every module imports, and a serving process starts without what it only needs later.

Heavy libraries are imported when first needed (file decoders with the first attachment, Alembic
when the schema is behind, the anthropic SDK with the first Slack request): this keeps a broken
or missing one from hiding until then, and keeps them out of what `bot serve` loads at start.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import bot

LOADED_LATER = (
    "anthropic",
    "PIL",
    "pillow_heif",
    "pypdf",
    "alembic",
    "mako",
    "yaml",
    "bot.fakes",
    "bot.runtime.sandbox",
    "bot.files.images",
    "bot.files.documents",
    "bot.store.migrations",
)


SCRIPTS = {"bot.__main__", "bot.store.migrations.env"}
"""Run, not imported: `python -m bot`, and Alembic's environment script."""


@pytest.mark.parametrize(
    "name", [m.name for m in pkgutil.walk_packages(bot.__path__, "bot.") if m.name not in SCRIPTS]
)
def test_every_module_imports(name: str) -> None:
    importlib.import_module(name)


def test_bot_serve_starts_without_the_heavy_modules() -> None:
    probe = (
        "import sys, bot.runtime.cli, bot.runtime.server; "
        f"print([m for m in {LOADED_LATER!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

"""Seeing that the schema is current without Alembic, as a starting bot does."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.store import Database, migrations
from bot.store.schema_version import head_revision, stamped_revisions

CHECK = """
import asyncio, sys
from bot.store import Database

async def main(url):
    db = Database(url)
    print(await db.upgrade(), "alembic" in sys.modules)
    await db.close()

asyncio.run(main(sys.argv[1]))
"""


def revision_file(directory: Path, name: str, revision: str, down: str | None) -> None:
    (directory / f"{name}.py").write_text(
        f'"""A revision."""\n\nrevision = "{revision}"\ndown_revision: str | None = {down!r}\n'
    )


def test_the_head_is_alembics() -> None:
    assert head_revision() == migrations.head()


def test_several_heads_leave_it_to_alembic(tmp_path: Path) -> None:
    revision_file(tmp_path, "a", "0001", None)
    revision_file(tmp_path, "b", "0002", "0001")
    assert head_revision(tmp_path) == "0002"
    revision_file(tmp_path, "c", "0003", "0001")
    assert head_revision(tmp_path) is None


async def test_a_current_schema_starts_without_alembic(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            assert await conn.run_sync(stamped_revisions) == set()
        assert await db.upgrade() == head_revision()
        async with db.engine.connect() as conn:
            assert await conn.run_sync(stamped_revisions) == {head_revision()}
    finally:
        await db.close()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHECK, database_url, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert out.decode().split() == [str(head_revision()), "False"]

"""Whether the database schema is already at the newest migration, answered without Alembic.

Alembic (with the template engine it brings) adds about 10 MiB to the process and most of a
second to its start. A deployed bot's schema is normally brought up to date before it starts
(`bot db upgrade` as the release command), so a serving process usually only needs to see that
it is current; Alembic is imported when there is something to do.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import Connection, inspect, text

VERSIONS = Path(__file__).parent / "migrations" / "versions"
VERSION_TABLE = "alembic_version"


def head_revision(versions: Path = VERSIONS) -> str | None:
    """The revision no other revision follows, read from the revision files; None unless there
    is exactly one (Alembic then decides what to do)."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in versions.glob("*.py"):
        found = _module_strings(path)
        if "revision" in found:
            revisions.add(found["revision"])
        if "down_revision" in found:
            followed.add(found["down_revision"])
    heads = revisions - followed
    return heads.pop() if len(heads) == 1 else None


def stamped_revisions(connection: Connection) -> set[str]:
    """What `alembic_version` says the schema is at (empty for a database Alembic never touched)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return {str(row[0]) for row in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}


def _module_strings(path: Path) -> dict[str, str]:
    """Top-level `name = "literal"` assignments (annotated or not) of a revision file."""
    found: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
            found[target.id] = value.value
    return found

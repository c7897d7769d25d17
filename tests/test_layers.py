"""Imports run one way: runtime → listeners → flows → edges → core (docs/architecture.md).

Every import counts, including those inside functions and under `TYPE_CHECKING`: a cycle through
a function-level import is still a cycle a reader has to hold in their head.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import bot

RANKS = {
    "runtime": 5,
    "fakes": 5,
    "listeners": 4,
    "flows": 3,
    "slack": 2,
    "claude": 2,
    "store": 2,
    "files": 2,
    "process": 2,
    "core": 1,
}
"""Each top-level part of `bot` and its layer: a part may import its own layer (without a cycle
between parts) or a lower one. The fakes stand beside the runtime, whose sandbox runs
the real bot against the fakes."""

IO_LIBRARIES = (
    "slack_sdk",
    "slack_bolt",
    "anthropic",
    "sqlalchemy",
    "sqlmodel",
    "aiohttp",
    "httpx",
    "httpx2",
    "asyncpg",
    "aiosqlite",
    "socket",
    "urllib.request",
    "prometheus_client",
)

ROOT = Path(bot.__file__).parent


def module_name(path: Path) -> str:
    parts = ["bot", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, absolute, at any depth of the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def part_of(module: str) -> str | None:
    """`bot.flows.turn` → `flows`; None for anything outside `bot`'s parts."""
    pieces = module.split(".")
    return pieces[1] if pieces[0] == "bot" and len(pieces) > 1 and pieces[1] in RANKS else None


def upward(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Each import from a part into a higher layer, as `importer -> imported`."""
    found = []
    for importer, imported in graph.items():
        low = part_of(importer)
        for target in imported:
            high = part_of(target)
            if low and high and RANKS[high] > RANKS[low]:
                found.append(f"{importer} -> {target}")
    return sorted(found)


def part_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Cycles among the parts themselves (`slack` → `store` → `slack`), found depth first."""
    edges: dict[str, set[str]] = {}
    for importer, imported in graph.items():
        source = part_of(importer)
        for target in imported:
            destination = part_of(target)
            if source and destination and source != destination:
                edges.setdefault(source, set()).add(destination)
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(node, ())):
            if nxt == path[0]:
                cycles.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:
                visit(nxt, [*path, nxt])

    for start in sorted(edges):
        visit(start, [start])
    return cycles


def io_in_core(graph: Mapping[str, Iterable[str]]) -> list[str]:
    return sorted(
        f"{importer} -> {target}"
        for importer, imported in graph.items()
        if part_of(importer) == "core"
        for target in imported
        if any(target == lib or target.startswith(f"{lib}.") for lib in IO_LIBRARIES)
    )


def project_graph() -> dict[str, set[str]]:
    paths = [p for p in ROOT.rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts]
    return {module_name(path): imports_of(path) for path in paths}


def test_every_part_has_a_layer() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in ROOT.glob("*.py")} - {"__init__", "__main__"}
    assert packages == set(RANKS) and not modules


def test_no_part_imports_a_higher_layer() -> None:
    assert upward(project_graph()) == []


def test_no_cycle_between_parts() -> None:
    assert part_cycles(project_graph()) == []


def test_the_core_does_no_io() -> None:
    assert io_in_core(project_graph()) == []


def test_the_checks_catch_what_they_are_for() -> None:
    """The same checks on a made-up graph that breaks each rule once."""
    graph = {
        "bot.core.text": {"bot.flows.turn", "sqlalchemy.orm"},
        "bot.slack.reply": {"bot.store.db"},
        "bot.store.db": {"bot.slack.client"},
        "bot.flows.turn": {"bot.core.text"},
    }
    assert upward(graph) == ["bot.core.text -> bot.flows.turn"]
    assert part_cycles(graph) == [["core", "flows", "core"], ["slack", "store", "slack"]]
    assert io_in_core(graph) == ["bot.core.text -> sqlalchemy.orm"]

"""The offline stand-in's web: a few canned pages it "searches" and cites, so web search, its
status line, sources and the thinking status can be tried in the sandbox with no key. Nothing
leaves the machine."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.fakes.claude_tools import Page, Say, Search, Step, Think

PAGES = (
    Page(
        "https://example.com/release-notes",
        "Example release notes",
        "Example 3.1 is the latest release: faster start-up and a new plugin API.",
    ),
    Page(
        "https://status.example.org/",
        "Example status page",
        "All systems operational. The last incident was resolved yesterday at 14:05 UTC.",
    ),
    Page(
        "https://docs.example.net/errors",
        "Common error messages explained",
        "`connection reset by peer` means the other side closed the connection; retry with backoff.",
    ),
)
RESULTS = 2
WORD = re.compile(r"[a-z0-9]{3,}")
"""Words that say something: "is", "a", "of" would match every page."""


def search(query: str) -> tuple[Page, ...]:
    """The canned pages sharing the most words with the query (the first ones when none do)."""
    words = set(WORD.findall(query.lower()))
    ranked = sorted(PAGES, key=lambda page: -len(words & set(WORD.findall((page.title + page.text).lower()))))
    return tuple(ranked[:RESULTS])


def plan(body: dict[str, Any], write: Callable[[dict[str, Any]], str]) -> tuple[Step, ...]:
    """Think when asked to, search the canned web when the tool is offered, then answer (`write`)
    citing it; nothing (an ordinary answer) when neither is on."""
    tools = {tool.get("name") for tool in body.get("tools") or ()}
    steps: list[Step] = []
    if body.get("thinking"):
        steps.append(Think("The offline model is pretending to think about the question before it answers."))
    if "web_search" not in tools:
        return (*steps, Say(write(body))) if steps else ()
    query = " ".join(_last_text(body).split())[:80] or "example"
    found = search(query)
    steps += [
        Search(query, results=found),
        Say(write(body) + "\n\nFrom the canned web: " + found[0].text, cites=(found[0].url,)),
    ]
    return tuple(steps)


def _last_text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return " ".join(block.get("text", "") for block in content if block.get("type") == "text")

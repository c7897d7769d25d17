"""The sources under an answer, and a failed tool as one line. Pure.

Sources are numbered in the order Claude first cited them (the same numbers as the `[n]` markers
in the answer), each page once, as Slack links with a short quote. Everything from the web is
untrusted: titles and quotes are escaped, and only plain http(s) URLs become links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

MAX_SOURCES = 10
QUOTE_CHARS = 120
TITLE_CHARS = 80
SAFE_URL = re.compile(r"^https?://[^\s<>|\"]+$")

SEARCH_ERRORS = {
    "too_many_requests": "too many searches right now",
    "max_uses_exceeded": "the limit of searches for one answer was reached",
    "query_too_long": "the search was too long",
    "unavailable": "search is unavailable right now",
}
FETCH_ERRORS = {
    "url_not_accessible": "the page couldn't be reached",
    "url_not_allowed": "that site isn't allowed",
    "url_not_in_prior_context": "only links from the conversation or a search can be opened",
    "too_many_requests": "too many page reads right now",
    "max_uses_exceeded": "the limit of page reads for one answer was reached",
    "unsupported_content_type": "that kind of page can't be read",
    "content_too_large": "the page is too large",
    "url_too_long": "the link is too long",
    "unavailable": "reading pages is unavailable right now",
}


@dataclass(frozen=True)
class Source:
    url: str
    title: str
    quote: str = ""


class Failed(Protocol):
    tool: str
    code: str


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _link(source: Source) -> str:
    title = _short(source.title, TITLE_CHARS) or source.url
    if not SAFE_URL.match(source.url):
        return escape(title)
    return f"<{source.url}|{escape(title).replace('|', '¦')}>"


def sources_text(sources: Sequence[Source]) -> str | None:
    """ "Sources" with one numbered line per page; None when nothing was cited."""
    if not sources:
        return None
    lines = ["*Sources*"]
    for number, source in enumerate(sources[:MAX_SOURCES], 1):
        quote = _short(source.quote, QUOTE_CHARS)
        lines.append(f"[{number}] {_link(source)}" + (f" — “{escape(quote)}”" if quote else ""))
    if len(sources) > MAX_SOURCES:
        lines.append(f"…and {len(sources) - MAX_SOURCES} more.")
    return "\n".join(lines)


def error_line(errors: Sequence[Failed]) -> str | None:
    """One line for every tool failure in an answer (the first of each kind said once)."""
    said: list[str] = []
    for error in errors:
        if error.tool == "web_search":
            text = "web search failed: " + SEARCH_ERRORS.get(error.code, "search is unavailable right now")
        else:
            text = "reading a page failed: " + FETCH_ERRORS.get(error.code, "the page couldn't be read")
        if text not in said:
            said.append(text)
    if not said:
        return None
    return "⚠️ " + "; ".join(said)[:1].upper() + "; ".join(said)[1:] + "."

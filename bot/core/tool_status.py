"""The status line while Claude works: what it searches, which site it reads, a glimpse of its
thinking. Pure. Slack shows the status after the app's name ("Claude is searching the web for …").

Queries, URLs and thinking come from the model and the web: they are cut short and escaped, and a
URL is shown only as its host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.core.citations import escape

DETAIL_CHARS = 60
THINKING_CHARS = 80


def status_text(kind: str, detail: str) -> str | None:
    """For what Claude is doing (`bot.claude.blocks.Activity`: "search", "fetch", "thinking")."""
    if kind == "search":
        query = _clip(detail, DETAIL_CHARS)
        return f"is searching the web for “{escape(query)}”…" if query else "is searching the web…"
    if kind == "slack":
        query = _clip(detail, DETAIL_CHARS)
        return f"is searching Slack for “{escape(query)}”…" if query else "is searching Slack…"
    if kind == "fetch":
        host = _host(detail)
        return f"is reading {escape(host)}…" if host else "is reading a web page…"
    if kind == "thinking":
        glimpse = _tail(detail, THINKING_CHARS)
        return f"is thinking: {escape(glimpse)}" if glimpse else "is thinking…"
    return None


def _host(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return _clip(host.removeprefix("www."), DETAIL_CHARS)


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _tail(text: str, limit: int) -> str:
    """The latest words of the thinking summary: what it is thinking about now."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[-(limit - 1) :]
    space = cut.find(" ")
    return "…" + (cut[space + 1 :] if 0 <= space < limit // 2 else cut)

"""A workspace's usage in figures, as the store reports it and the App Home shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Ranked:
    id: str
    tokens: int


@dataclass(frozen=True)
class WorkspaceUsage:
    since: date
    """The first day (UTC) of the window every figure but `month_tokens` covers."""
    daily: dict[date, int]
    """Tokens per day; days without calls are absent."""
    requests: int
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    top_channels: list[Ranked]
    top_users: list[Ranked]
    thumbs_up: int
    thumbs_down: int
    month_tokens: int
    """This calendar month (UTC) so far, what a monthly budget counts."""
    web_search_requests: int = 0
    web_fetch_requests: int = 0
    thinking_tokens: int = 0

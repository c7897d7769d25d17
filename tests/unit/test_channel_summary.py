"""`/claude summarize`'s arguments, lines and parts: plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.channel_summary import LONGEST_SINCE, USAGE, SummaryAsk, history_lines, parse_args, parts

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def ask(text: str) -> SummaryAsk | str:
    return parse_args(text, here="C1", here_name="general", now=NOW)


def test_defaults_and_what_can_be_said() -> None:
    assert ask("") == SummaryAsk("C1", NOW - timedelta(hours=24))
    assert ask("<#C0ABCDEF|random> 3d") == SummaryAsk("C0ABCDEF", NOW - timedelta(days=3))
    assert ask("#general 90m") == SummaryAsk("C1", NOW - timedelta(minutes=90))
    assert ask("2026-11-30") == SummaryAsk("C1", datetime(2026, 11, 30, tzinfo=UTC))
    assert ask("52w") == SummaryAsk("C1", NOW - LONGEST_SINCE), "bounded to the last 30 days"


def test_unclear_input_gets_a_specific_answer() -> None:
    assert ask("yesterday-ish") == USAGE
    named = ask("#random")
    assert isinstance(named, str) and "`#random`" in named


def test_lines_oldest_first_with_thread_sizes_and_parts_within_the_size() -> None:
    history = [
        {"type": "message", "user": "U2", "text": "second", "ts": "1764676800.000200", "reply_count": 4},
        {"type": "message", "subtype": "channel_join", "user": "U3", "text": "hi", "ts": "1764676800.1"},
        {"type": "message", "user": "U3", "text": "first", "ts": "1764676800.000100"},
    ]
    lines = history_lines(history, names={"U2": "Bob", "U3": "Carol"}, bot_user_id="UBOT")
    assert lines == [
        "[2025-12-02 12:00] Carol: first",
        "[2025-12-02 12:00] Bob: second (4 replies in its thread)",
    ]
    split = parts([f"line {i:03d}" for i in range(100)], max_chars=90)
    assert all(sum(len(line) + 1 for line in part) <= 90 for part in split)
    assert [line for part in split for line in part] == [f"line {i:03d}" for i in range(100)]

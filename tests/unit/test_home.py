"""The App Home view builder and the pane's reading of a thread, with plain data."""

from __future__ import annotations

import json
from datetime import date, timedelta

from bot.core.chart import Day
from bot.core.conversation import NOTICE_EVENT_TYPE, BotIdentity
from bot.core.home_view import (
    CHART_TITLE,
    WINDOW_DAYS,
    cache_line,
    chart_days,
    chart_summary,
    feedback_line,
    home_view,
    month_line,
)
from bot.core.pane_context import context_channel, first_question_title, greeting_metadata, shorten
from bot.core.workspace_usage import Ranked, WorkspaceUsage
from bot.slack.blocks import feedback_actions, feedback_vote

TODAY = date(2026, 11, 22)
BOT = BotIdentity("UBOT", "BBOT")


def usage(**overrides: object) -> WorkspaceUsage:
    values: dict[str, object] = {
        "since": TODAY - timedelta(days=WINDOW_DAYS - 1),
        "daily": {TODAY: 12_000, TODAY - timedelta(days=3): 3_000},
        "requests": 7,
        "input_tokens": 1_000,
        "output_tokens": 2_000,
        "cache_creation_input_tokens": 2_000,
        "cache_read_input_tokens": 10_000,
        "top_channels": [Ranked("C1", 9_000), Ranked("D1", 6_000)],
        "top_users": [Ranked("U1", 15_000)],
        "thumbs_up": 3,
        "thumbs_down": 1,
        "month_tokens": 15_000,
    }
    values.update(overrides)
    return WorkspaceUsage(**values)  # type: ignore[arg-type]


def test_member_view_explains_use_and_hides_figures() -> None:
    view = home_view(bot_user_id="UBOT", usage=None, budget=None, today=TODAY)
    text = json.dumps(view)
    assert view["type"] == "home"
    assert "<@UBOT>" in text and "/claude prompt" in text
    assert "Claude call" not in text and "Top channels" not in text


def test_admin_view_has_every_figure_within_slack_limits() -> None:
    view = home_view(bot_user_id="UBOT", usage=usage(), budget=20_000, today=TODAY)
    text = json.dumps(view, ensure_ascii=False)
    assert "*15k tokens* in 7 Claude calls (13k in, 2,000 out)" in text
    assert "1. <#C1>: 9,000" in text and "2. a DM: 6,000" in text and "1. <@U1>: 15k" in text
    assert "75%" in text and "15k of the 20k-token monthly budget" in text
    one = json.dumps(home_view(bot_user_id="UBOT", usage=usage(requests=1), budget=None, today=TODAY))
    assert " in 1 Claude call (" in one
    assert "👍 3  ·  👎 1  (75% positive)" in text
    assert len(view["blocks"]) <= 100
    for block in view["blocks"]:
        texts = [block.get("text", {}).get("text", "")] + [f["text"] for f in block.get("fields", [])]
        assert all(len(t) <= 3000 for t in texts)


def test_the_chart_covers_every_day_of_the_window_oldest_first() -> None:
    days = chart_days({TODAY: 12_000, TODAY - timedelta(days=3): 3_000}, TODAY)

    assert len(days) == WINDOW_DAYS
    assert days[0] == Day(TODAY - timedelta(days=WINDOW_DAYS - 1), 0)
    assert days[-4:] == [
        Day(TODAY - timedelta(days=3), 3_000),
        Day(TODAY - timedelta(days=2), 0),
        Day(TODAY - timedelta(days=1), 0),
        Day(TODAY, 12_000),
    ]


def test_the_chart_in_words() -> None:
    summary = chart_summary({TODAY: 12_000, TODAY - timedelta(days=3): 30_000}, TODAY)

    assert summary == "Busiest day Nov 19: 30k tokens. Today so far: 12k. Average: 1,400 a day."
    assert chart_summary({}, TODAY) == "No tokens used in the last 30 days."


def test_the_chart_is_an_image_of_the_uploaded_file_described_in_words() -> None:
    view = home_view(bot_user_id="UBOT", usage=usage(), budget=None, today=TODAY, chart="F0CHART")
    images = [block for block in view["blocks"] if block["type"] == "image"]

    assert images == [
        {
            "type": "image",
            "slack_file": {"id": "F0CHART"},
            "alt_text": chart_summary(usage().daily, TODAY),
            "title": {"type": "plain_text", "text": CHART_TITLE},
        }
    ]


def test_without_a_chart_file_the_figures_are_in_words() -> None:
    view = home_view(bot_user_id="UBOT", usage=usage(), budget=None, today=TODAY)
    text = json.dumps(view)

    assert not [block for block in view["blocks"] if block["type"] == "image"]
    assert f"*{CHART_TITLE}*\\n{chart_summary(usage().daily, TODAY)}" in text


def test_cache_line_gives_ratio_and_net_saving() -> None:
    line = cache_line(usage())
    assert line.startswith("77% of input tokens were read from the cache")
    assert "saved about *8,500 input tokens' worth*" in line  # 10,000 × 0.9 − 2,000 × 0.25
    assert "no net saving" in cache_line(usage(cache_read_input_tokens=100))
    assert cache_line(usage(input_tokens=0, cache_creation_input_tokens=0, cache_read_input_tokens=0)) == (
        "No calls yet."
    )


def test_month_and_feedback_lines_without_budget_or_votes() -> None:
    assert month_line(950, None) == "950 tokens so far. No monthly budget is set."
    assert "░" not in month_line(30_000, 20_000) and "150%" in month_line(30_000, 20_000)
    assert feedback_line(0, 0) == "No 👍 or 👎 yet."


def test_feedback_value_round_trip() -> None:
    block = feedback_actions("1700000001.000001")
    element = block["elements"][0]
    assert block["type"] == "context_actions" and element["type"] == "feedback_buttons"
    assert feedback_vote(element["positive_button"]["value"], "9.9") == (1, "1700000001.000001")
    assert feedback_vote(element["negative_button"]["value"], "9.9") == (-1, "1700000001.000001")
    assert feedback_vote("0 1.2", "9.9") is None and feedback_vote("+1", "") is None
    assert feedback_vote("+1", "1700000002.000002") == (1, "1700000002.000002"), "on the only message"


def thread(*messages: dict) -> list[dict]:
    return list(messages)


ROOT = {"ts": "1.0", "user": "U1", "subtype": "assistant_app_thread", "text": "New chat"}
GREETING = {"ts": "1.1", "user": "UBOT", "bot_id": "BBOT", "text": "Hi!", "metadata": greeting_metadata("C7")}


def test_pane_context_and_title_come_from_the_thread() -> None:
    question = {
        "ts": "1.2",
        "user": "U1",
        "text": "<@UBOT>   what is   a   *monad*, in plain words please, with examples?",
    }
    history = thread(ROOT, GREETING, question)
    assert context_channel(history, BOT) == "C7"
    assert first_question_title(history, BOT) == "what is a *monad*, in plain words please, with examples?"
    answered = [*history, {"ts": "1.3", "user": "UBOT", "bot_id": "BBOT", "text": "A monad is…"}]
    assert first_question_title(answered, BOT) is None


def test_threads_without_the_bots_greeting_are_not_pane_threads() -> None:
    forged = {**GREETING, "user": "U2", "bot_id": None}
    history = thread(ROOT, forged, {"ts": "1.2", "user": "U1", "text": "hi"})
    assert context_channel(history, BOT) is None and first_question_title(history, BOT) is None
    no_context = {
        **GREETING,
        "metadata": {"event_type": NOTICE_EVENT_TYPE, "event_payload": {"kind": "greeting"}},
    }
    assert context_channel([ROOT, no_context], BOT) is None


def test_shorten_cuts_at_a_word() -> None:
    assert shorten("short", 60) == "short"
    assert shorten("alpha beta gamma delta", 14) == "alpha beta…"
    assert shorten("x" * 80, 10) == "x" * 9 + "…"

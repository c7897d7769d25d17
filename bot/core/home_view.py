"""The App Home tab: how to use the bot, and for admins the workspace's usage. Pure: plain data in,
a `home` view out, within Slack's limits (100 blocks, 3,000 characters per section)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.core.chart import Day
from bot.core.token_budget import format_tokens
from bot.core.workspace_usage import Ranked, WorkspaceUsage

WINDOW_DAYS = 30
BAR_WIDTH = 24
CACHE_READ_PRICE = 0.1
CACHE_WRITE_PRICE = 1.25
"""Of the input price, for the five-minute cache the bot uses."""
CHART_TITLE = "Tokens per day (UTC)"

Block = dict[str, Any]

HOW_TO = (
    "*Mention* {bot} in a channel and Claude answers in a thread under your message, writing as it "
    "goes. *Reply in that thread* to keep going: the whole thread is the conversation, and several "
    "people can take part.\n\n"
    "*Message me* here, or open me from the AI button at the top of Slack: each thread is a private "
    "conversation. Opened beside a channel, I follow that channel's instructions.\n\n"
    "*Attach files* in the thread (screenshots, photos, PDFs, text and code) and Claude reads them. "
    "Press *Stop* to end an answer early, and 👍 / 👎 under an answer to tell us how it did."
)
COMMANDS = (
    "*`/claude prompt`* edits this channel's instructions (`show` shows them, `reset` removes them); "
    "*`/claude model`* picks its model.\n"
    "*`/claude usage`* shows tokens used. *`/claude help`* explains the rest.\n"
    "Answers to `/claude` are only visible to you."
)
ADMINS_SEE_MORE = "Workspace admins and owners also see the workspace's usage here."


def window_start(today: date) -> date:
    """The first of the last WINDOW_DAYS days, today included."""
    return today - timedelta(days=WINDOW_DAYS - 1)


def home_view(
    *,
    bot_user_id: str,
    usage: WorkspaceUsage | None,
    budget: int | None,
    today: date,
    chart: str | None = None,
    features: str | None = None,
) -> Block:
    """Everyone's tab, with `features`: the tools and thinking channels get by default; `usage`
    (given to admins and owners only) adds the workspace's figures, and `chart` (the Slack file id
    of the tokens-per-day chart, when there is one) shows them drawn."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Claude in Slack"}},
        _section(HOW_TO.format(bot=f"<@{bot_user_id}>")),
        {"type": "header", "text": {"type": "plain_text", "text": "Commands"}},
        _section(COMMANDS),
    ]
    if features is not None:
        blocks.append(_section("*Tools and thinking*\n" + features))
    if usage is None:
        blocks.append(_context(ADMINS_SEE_MORE))
    else:
        blocks += [{"type": "divider"}, *usage_blocks(usage, budget=budget, today=today, chart=chart)]
    return {"type": "home", "blocks": blocks}


def usage_blocks(
    usage: WorkspaceUsage, *, budget: int | None, today: date, chart: str | None = None
) -> list[Block]:
    all_input = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "This workspace, last 30 days"}},
        _section(
            f"*{format_tokens(all_input + usage.output_tokens)} tokens* in {usage.requests:,} "
            f"Claude call{'' if usage.requests == 1 else 's'} "
            f"({format_tokens(all_input)} in, {format_tokens(usage.output_tokens)} out)."
        ),
        _daily(usage.daily, today, chart),
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Top channels*\n" + _ranking(usage.top_channels, _channel)},
                {"type": "mrkdwn", "text": "*Top people*\n" + _ranking(usage.top_users, lambda u: f"<@{u}>")},
            ],
        },
        _section("*Prompt cache*\n" + cache_line(usage)),
        _section("*Web and thinking*\n" + tools_line(usage)),
        _section("*This month*\n" + month_line(usage.month_tokens, budget)),
        _section("*Answers rated*\n" + feedback_line(usage.thumbs_up, usage.thumbs_down)),
        _context(
            f"Only admins and owners see this part. Figures as of {today:%b} {today.day}, {today.year} "
            "(UTC); they refresh each time the tab opens."
        ),
    ]


def chart_days(daily: dict[date, int], today: date) -> list[Day]:
    """The window's days, oldest first and today last, with 0 where nothing was used."""
    first = window_start(today)
    return [Day(day, daily.get(day, 0)) for day in (first + timedelta(days=i) for i in range(WINDOW_DAYS))]


def chart_summary(daily: dict[date, int], today: date) -> str:
    """The chart in words: its alt text, and what admins read when there is no image."""
    days = chart_days(daily, today)
    total = sum(day.tokens for day in days)
    if not total:
        return f"No tokens used in the last {WINDOW_DAYS} days."
    busiest = max(days, key=lambda day: (day.tokens, day.day))
    return (
        f"Busiest day {busiest.day:%b} {busiest.day.day}: {format_tokens(busiest.tokens)} tokens. "
        f"Today so far: {format_tokens(days[-1].tokens)}. "
        f"Average: {format_tokens(round(total / WINDOW_DAYS))} a day."
    )


def cache_line(usage: WorkspaceUsage) -> str:
    """How much input came from the cache, and what that saved net of the dearer cache writes."""
    read, written = usage.cache_read_input_tokens, usage.cache_creation_input_tokens
    all_input = usage.input_tokens + written + read
    if not all_input:
        return "No calls yet."
    ratio = read / all_input
    saved = round(read * (1 - CACHE_READ_PRICE) - written * (CACHE_WRITE_PRICE - 1))
    verdict = (
        f"saved about *{format_tokens(saved)} input tokens' worth*"
        if saved > 0
        else "no net saving yet (writing to the cache costs a little extra)"
    )
    return (
        f"{ratio:.0%} of input tokens were read from the cache: {verdict}. "
        f"Cache reads cost a tenth of normal input; writes cost {CACHE_WRITE_PRICE}×."
    )


def tools_line(usage: WorkspaceUsage) -> str:
    searches, pages = usage.web_search_requests, usage.web_fetch_requests
    return (
        f"{searches:,} web search{'' if searches == 1 else 'es'}, "
        f"{pages:,} page read{'' if pages == 1 else 's'}, "
        f"{format_tokens(usage.thinking_tokens)} thinking tokens (part of the output)."
    )


def month_line(used: int, budget: int | None) -> str:
    if budget is None:
        return f"{format_tokens(used)} tokens so far. No monthly budget is set."
    share = used / budget
    filled = min(BAR_WIDTH, round(share * BAR_WIDTH))
    return (
        f"`{'█' * filled}{'░' * (BAR_WIDTH - filled)}` {share:.0%}\n"
        f"{format_tokens(used)} of the {format_tokens(budget)}-token monthly budget."
    )


def feedback_line(up: int, down: int) -> str:
    if not up + down:
        return "No 👍 or 👎 yet."
    return f"👍 {up:,}  ·  👎 {down:,}  ({up / (up + down):.0%} positive)"


def _daily(daily: dict[date, int], today: date, chart: str | None) -> Block:
    summary = chart_summary(daily, today)
    if chart is None:
        return _section(f"*{CHART_TITLE}*\n{summary}")
    return {
        "type": "image",
        "slack_file": {"id": chart},
        "alt_text": summary,
        "title": {"type": "plain_text", "text": CHART_TITLE},
    }


def _ranking(ranked: list[Ranked], label: Any) -> str:
    if not ranked:
        return "None yet."
    lines = (f"{i}. {label(item.id)}: {format_tokens(item.tokens)}" for i, item in enumerate(ranked, 1))
    return "\n".join(lines)


def _channel(channel_id: str) -> str:
    """DMs (and the AI app pane) have no channel name to show; group DMs and channels do."""
    return "a DM" if channel_id.startswith("D") else f"<#{channel_id}>"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}

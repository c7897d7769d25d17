"""The App Home tab: how to use the bot, and for admins the workspace's usage. Pure: plain data in,
a `home` view out, within Slack's limits (100 blocks, 3,000 characters per section)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.budget import format_tokens
from bot.store.usage_report import Ranked, WorkspaceUsage

WINDOW_DAYS = 30
BAR_WIDTH = 24
CACHE_READ_PRICE = 0.1
CACHE_WRITE_PRICE = 1.25
"""Of the input price, for the five-minute cache the bot uses."""
_EIGHTHS = " ▏▎▍▌▋▊▉"

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


def home_view(*, bot_user_id: str, usage: WorkspaceUsage | None, budget: int | None, today: date) -> Block:
    """Everyone's tab; `usage` (given to admins and owners only) adds the workspace's figures."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Claude in Slack"}},
        _section(HOW_TO.format(bot=f"<@{bot_user_id}>")),
        {"type": "header", "text": {"type": "plain_text", "text": "Commands"}},
        _section(COMMANDS),
    ]
    if usage is None:
        blocks.append(_context(ADMINS_SEE_MORE))
    else:
        blocks += [{"type": "divider"}, *usage_blocks(usage, budget=budget, today=today)]
    return {"type": "home", "blocks": blocks}


def usage_blocks(usage: WorkspaceUsage, *, budget: int | None, today: date) -> list[Block]:
    all_input = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "This workspace, last 30 days"}},
        _section(
            f"*{format_tokens(all_input + usage.output_tokens)} tokens* in {usage.requests:,} "
            f"Claude call{'' if usage.requests == 1 else 's'} "
            f"({format_tokens(all_input)} in, {format_tokens(usage.output_tokens)} out)."
        ),
        _section("*Tokens per day* (UTC)\n```\n" + daily_chart(usage.daily, today) + "\n```"),
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Top channels*\n" + _ranking(usage.top_channels, _channel)},
                {"type": "mrkdwn", "text": "*Top people*\n" + _ranking(usage.top_users, lambda u: f"<@{u}>")},
            ],
        },
        _section("*Prompt cache*\n" + cache_line(usage)),
        _section("*This month*\n" + month_line(usage.month_tokens, budget)),
        _section("*Answers rated*\n" + feedback_line(usage.thumbs_up, usage.thumbs_down)),
        _context(
            f"Only admins and owners see this part. Figures as of {today:%b} {today.day}, {today.year} "
            "(UTC); they refresh each time the tab opens."
        ),
    ]


def daily_chart(daily: dict[date, int], today: date) -> str:
    """One bar per day, oldest first, scaled to the busiest day; readable at a glance in a code block."""
    days = [window_start(today) + timedelta(days=i) for i in range(WINDOW_DAYS)]
    peak = max((daily.get(day, 0) for day in days), default=0)
    lines = []
    for day in days:
        tokens = daily.get(day, 0)
        lines.append(f"{day:%b %d} {_bar(tokens, peak)} {format_tokens(tokens) if tokens else '·'}")
    return "\n".join(lines)


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


def _bar(tokens: int, peak: int) -> str:
    if not peak:
        return " " * BAR_WIDTH
    eighths = round(tokens / peak * BAR_WIDTH * 8)
    if tokens and not eighths:
        eighths = 1
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    return bar.ljust(BAR_WIDTH)


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

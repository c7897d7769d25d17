"""Parsing `/claude …` and the help it answers with. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.core.features import FEATURES, TOOLS

MAX_PROMPT_CHARS = 8_000

HELP = (
    "*Claude in Slack*\n"
    "• Mention me (`@Claude …`) in a channel and I answer in a thread. Reply in that thread "
    "and I keep going — no need to mention me again. The thread is the conversation.\n"
    "• DM me: every message gets an answer in its thread.\n"
    "*This channel*\n"
    "• `/claude prompt` — edit this channel's instructions (its system prompt) in a form.\n"
    "• `/claude prompt <text>` — set them. `/claude prompt show` — see them. "
    "`/claude prompt reset` — remove them.\n"
    "• `/claude prompt history` — the last changes to this channel's and the workspace's prompt.\n"
    "• `/claude model` — the models you can pick and this channel's. "
    "`/claude model <id>` — pick one. `/claude model reset` — back to the default.\n"
    "• `/claude tools` — which tools Claude may use here. `/claude tools web on|off|reset` — web "
    "search and page reading in this channel (each search costs extra).\n"
    "• `/claude thinking on|off|reset` — extended thinking in this channel.\n"
    "*Workspace* (admins and owners)\n"
    "• `/claude prompt --workspace [<text> | show | reset]` — instructions for every channel, "
    "before each channel's own.\n"
    "• `/claude model --workspace <id> | reset` — the default model for every channel.\n"
    "• `/claude tools web on|off|reset --workspace`, `/claude thinking on|off|reset --workspace` — "
    "for every channel without its own choice. `/claude tools web limit <n>` — searches per answer.\n"
    "• `/claude tools slack on|off|reset` — let Claude search Slack as the person asking.\n"
    "• `/claude prompt admins-only on|off` — whether only admins may change channel prompts, "
    "models and tools.\n"
    "• `/claude budget <tokens> | off | default` — a monthly token budget (`5M`, `750k`, …); "
    "`/claude budget` shows this month's use.\n"
    "*Everyone*\n"
    "• `/claude summarize [#channel] [12h | 3d | 2026-11-30]` — a summary of a channel you and I "
    "are both in (this one, last 24 hours by default), sent to you privately.\n"
    "• Message shortcuts (a message's ⋮ menu): *Ask Claude about this*, *Summarize thread*, "
    "*Translate*, answered privately.\n"
    "• `/claude usage` — tokens used (admins see the workspace's, everyone else their own).\n"
    "• `/claude help` — this message."
)

Kind = Literal[
    "help",
    "invalid",
    "prompt_edit",
    "prompt_show",
    "prompt_set",
    "prompt_reset",
    "prompt_history",
    "prompt_lock",
    "model_show",
    "model_set",
    "model_reset",
    "budget_show",
    "budget_set",
    "budget_reset",
    "usage",
    "summarize",
    "feature_show",
    "feature_set",
    "feature_reset",
    "feature_limit",
]


@dataclass(frozen=True)
class Command:
    kind: Kind
    text: str = ""
    """The prompt, the model id, "on"/"off" for `prompt_lock`; for `invalid`, what to tell the person."""
    workspace: bool = False
    """`--workspace`: the workspace-wide setting rather than this channel's."""
    tokens: int | None = None
    """`budget_set`: the monthly budget; 0 is no budget at all. `feature_limit`: the uses per answer."""
    feature: str = ""
    """`feature_*`: which one (`web`, `thinking`; see `bot.core.features`)."""


WORKSPACE_FLAGS = {"--workspace", "—workspace", "-w"}
"""Slack's desktop apps may turn a typed `--` into an em dash."""
RESET_WORDS = {"reset", "clear", "remove"}
TOKENS = re.compile(r"^(\d+(?:\.\d+)?)\s*([km]?)$", re.IGNORECASE)
BUDGET_HINT = "Give the budget in tokens, such as `/claude budget 5M` or `/claude budget 750k`, or `off`."


def parse(text: str) -> Command:
    head, _, rest = text.strip().partition(" ")
    head, rest = head.lower(), rest.strip()
    if head == "prompt":
        return _prompt(rest)
    if head == "model":
        return _model(rest)
    if head == "budget":
        return _budget(rest)
    if head == "usage" and not rest:
        return Command("usage")
    if head in {"summarize", "summarise", "summary"}:
        return Command("summarize", rest)
    if head in {"tools", "thinking"}:
        return parse_feature(head, rest)
    return Command("help")


def _workspace_flag(rest: str) -> tuple[bool, str]:
    first, _, after = rest.partition(" ")
    if first.lower() in WORKSPACE_FLAGS:
        return True, after.strip()
    return False, rest


def _prompt(rest: str) -> Command:
    workspace, rest = _workspace_flag(rest)
    word = rest.lower()
    if not rest:
        return Command("prompt_edit", workspace=workspace)
    if word == "show":
        return Command("prompt_show", workspace=workspace)
    if word in RESET_WORDS:
        return Command("prompt_reset", workspace=workspace)
    if word == "history":
        return Command("prompt_history")
    first, _, setting = word.partition(" ")
    if first == "admins-only":
        if setting in {"on", "off"}:
            return Command("prompt_lock", setting)
        return Command("invalid", "Say `/claude prompt admins-only on` or `/claude prompt admins-only off`.")
    return Command("prompt_set", _unescape(rest), workspace=workspace)


def _model(rest: str) -> Command:
    workspace, rest = _workspace_flag(rest)
    if not rest or rest.lower() in {"show", "list"}:
        return Command("model_show", workspace=workspace)
    if rest.lower() in RESET_WORDS:
        return Command("model_reset", workspace=workspace)
    return Command("model_set", rest, workspace=workspace)


def _budget(rest: str) -> Command:
    word = rest.lower()
    if not word or word == "show":
        return Command("budget_show")
    if word in {"default", *RESET_WORDS}:
        return Command("budget_reset")
    if word in {"off", "none", "unlimited"}:
        return Command("budget_set", tokens=0)
    tokens = parse_tokens(word)
    if tokens is None or tokens <= 0:
        return Command("invalid", BUDGET_HINT)
    return Command("budget_set", tokens=tokens)


def parse_tokens(text: str) -> int | None:
    """A token count from "5M", "750k", "2.5m", "1,000,000" or "1_000_000"; None otherwise."""
    match = TOKENS.match(text.replace(",", "").replace("_", "").strip())
    if match is None:
        return None
    number, unit = match.groups()
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[unit.lower()]
    return round(float(number) * scale)


def _unescape(text: str) -> str:
    """Slack escapes `&`, `<` and `>` in a slash command's text; the prompt is what was typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


SWITCHES = {"on": "on", "enable": "on", "off": "off", "disable": "off"}
MAX_USES_LIMIT = 50


def parse_feature(head: str, rest: str) -> Command:
    """`/claude tools` lists every feature's state; `/claude tools <tool> on|off|reset` sets it for
    this channel, with `--workspace` (or a trailing `workspace`) for every channel; `/claude tools
    <tool> limit <n>` sets the workspace's uses per answer. A workspace-only tool (`slack`) is
    always set for the workspace, so only admins may switch it. `/claude thinking …` is the same
    for thinking."""
    words = rest.lower().split()
    workspace = any(word in WORKSPACE_FLAGS or word == "workspace" for word in words)
    words = [word for word in words if word not in WORKSPACE_FLAGS and word != "workspace"]
    if head == "tools":
        if not words or words[0] in {"show", "list"}:
            return Command("feature_show")
        name, words = words[0], words[1:]
        if name not in TOOLS:
            known = ", ".join(f"`{tool}`" for tool in TOOLS)
            return Command(
                "invalid",
                f"I don't know a tool called `{name[:40]}`. Tools: {known} (`/claude tools` lists them).",
            )
    else:
        name = "thinking"
    return _action(name, words, workspace or FEATURES[name].workspace_only)


def _action(name: str, words: list[str], workspace: bool) -> Command:
    typed = FEATURES[name].command
    if not words or words == ["show"]:
        return Command("feature_show")
    if words[0] in SWITCHES and len(words) == 1:
        return Command("feature_set", SWITCHES[words[0]], workspace=workspace, feature=name)
    if words[0] in RESET_WORDS and len(words) == 1:
        return Command("feature_reset", workspace=workspace, feature=name)
    if words[0] in {"limit", "max-uses"} and FEATURES[name].limited:
        count = words[1] if len(words) == 2 else ""
        if count.isdigit() and 1 <= int(count) <= MAX_USES_LIMIT:
            return Command("feature_limit", workspace=True, feature=name, tokens=int(count))
        return Command(
            "invalid",
            f"Give the uses per answer as a number from 1 to {MAX_USES_LIMIT}: `/claude {typed} limit 5`.",
        )
    return Command(
        "invalid",
        f"Say `/claude {typed} on`, `/claude {typed} off` or `/claude {typed} reset` "
        f"(add `--workspace` for every channel).",
    )

"""Parsing `/claude tools …` and `/claude thinking …`. Pure.

`/claude tools` lists every feature's state; `/claude tools <tool> on|off|reset` sets it for this
channel, with `--workspace` (or a trailing `workspace`) for every channel; `/claude tools <tool>
limit <n>` sets the workspace's uses per answer. A workspace-only tool (`slack`) is always set for
the workspace, so only admins may switch it. `/claude thinking …` is the same for thinking.
"""

from __future__ import annotations

from bot.core.command_syntax import RESET_WORDS, WORKSPACE_FLAGS, Command
from bot.core.features import FEATURES, TOOLS

SWITCHES = {"on": "on", "enable": "on", "off": "off", "disable": "off"}
MAX_USES_LIMIT = 50


def parse_feature(head: str, rest: str) -> Command:
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

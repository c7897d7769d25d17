"""The words `/claude` answers with: prompts, their history, models, usage. Pure.

Stored text is shown escaped (`&`, `<`, `>`), so a prompt that mentions `<!channel>` shows the
words instead of pinging anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.model_choice import Source
from bot.store.models import PromptChange

SNIPPET_CHARS = 60


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoted(text: str) -> str:
    return "\n".join(f"> {line}" for line in escape(text).splitlines() or [""])


def when(moment: datetime) -> str:
    """Shown in the reader's own time zone by Slack; the fallback is UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"<!date^{int(aware.timestamp())}^{{date_short}} {{time}}|{aware:%Y-%m-%d %H:%M} UTC>"


def snippet(text: str | None) -> str:
    if text is None:
        return "_(none)_"
    flat = " ".join(text.split())
    if len(flat) > SNIPPET_CHARS:
        flat = flat[: SNIPPET_CHARS - 1].rstrip() + "…"
    return f"“{escape(flat)}”"


def prompts_shown(
    *, channel: str | None, set_by: str | None, set_at: datetime | None, workspace: str | None
) -> str:
    """`/claude prompt show`: both layers Claude gets in this channel, beyond the defaults."""
    parts = []
    if workspace:
        parts.append("*Workspace prompt* (applies in every channel):\n" + quoted(workspace))
    if channel:
        by = f" (set by <@{set_by}> on {when(set_at)})" if set_by and set_at else ""
        parts.append(f"*This channel's prompt*{by}:\n" + quoted(channel))
    else:
        parts.append("This channel has no prompt of its own. Set one with `/claude prompt`.")
    return "\n".join(parts)


def workspace_prompt_shown(prompt: str | None) -> str:
    if not prompt:
        return (
            "This workspace has no workspace-wide prompt. Admins set one with `/claude prompt --workspace`."
        )
    return "*Workspace prompt* (applies in every channel, before each channel's own):\n" + quoted(prompt)


def prompt_saved(prompt: str, *, workspace: bool) -> str:
    where = "in every channel of this workspace" if workspace else "in this channel"
    return f"Done. From the next message on, I follow this prompt {where}:\n" + quoted(prompt)


def prompt_removed(*, workspace: bool, removed: bool) -> str:
    if workspace:
        if removed:
            return "Done. The workspace-wide prompt is removed."
        return "There was no workspace-wide prompt; nothing to reset."
    if removed:
        return "Done. This channel's prompt is removed; I'm back to the default."
    return "This channel had no prompt of its own; nothing to reset."


def history(changes: Sequence[PromptChange]) -> str:
    """`/claude prompt history`: one line per change, newest first, texts cut short."""
    if not changes:
        return "Neither this channel's prompt nor the workspace's has been changed yet."
    lines = ["*Prompt changes* (this channel and the workspace, newest first):"]
    for change in changes:
        scope = "workspace" if change.channel_id is None else "this channel"
        lines.append(
            f"• {when(change.changed_at)} · <@{change.changed_by}> · {scope}: "
            f"{snippet(change.old_prompt)} → {snippet(change.new_prompt)}"
        )
    return "\n".join(lines)


SOURCES: dict[Source, str] = {
    "channel": "chosen for this channel",
    "workspace": "the workspace's default",
    "default": "the bot's default",
}


def models_shown(current: str, source: Source, allowed: Sequence[str]) -> str:
    """`/claude model`: this channel's model, why, and what else may be picked."""
    choices = "\n".join(f"• `{model}`" + (" ← this channel" if model == current else "") for model in allowed)
    return (
        f"This channel uses `{current}` ({SOURCES[source]}).\n"
        f"Models you can pick with `/claude model <id>`:\n{choices}"
    )


def unknown_model(requested: str, allowed: Sequence[str]) -> str:
    choices = ", ".join(f"`{model}`" for model in allowed)
    return f"I don't know the model `{escape(requested)}`. Pick one of: {choices}."


def model_saved(model: str, *, workspace: bool) -> str:
    if workspace:
        return f"Done. Channels without a model of their own now use `{model}`."
    return f"Done. From the next message on, I answer in this channel with `{model}`."


def model_removed(default: str, *, workspace: bool, removed: bool) -> str:
    if not removed:
        where = "The workspace had" if workspace else "This channel had"
        return f"{where} no model of its own; nothing to reset."
    if workspace:
        return f"Done. Channels without a model of their own now use the bot's default, `{default}`."
    return f"Done. This channel is back to the default model, `{default}`."


@dataclass(frozen=True)
class Period:
    label: str
    requests: int
    tokens: int
    searches: int = 0
    pages: int = 0
    """Web searches and page reads (server-tool requests)."""


def usage_table(title: str, periods: Sequence[Period], budget_line: str) -> str:
    lines = [f"*{title}*", "```", f"{'period':<10}{'requests':>10}{'tokens':>14}{'searches':>10}{'pages':>8}"]
    lines += [f"{p.label:<10}{p.requests:>10,}{p.tokens:>14,}{p.searches:>10,}{p.pages:>8,}" for p in periods]
    lines += ["```", budget_line]
    return "\n".join(lines)

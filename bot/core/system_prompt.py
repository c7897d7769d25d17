"""The system prompt a turn is sent with. Pure.

Four layers, most general first: a fixed Slack-aware preamble, the operator's
`BOT_SYSTEM_PROMPT`, the workspace's prompt from `/claude prompt --workspace`, and the channel's
own from `/claude prompt`. The order keeps the longest-lived text at the front, where prompt
caching can reuse it across channels.
"""

from __future__ import annotations

PREAMBLE = (
    "You are Claude, an AI assistant made by Anthropic, talking with people in a Slack "
    "workspace. Each conversation is one Slack thread. Every user message starts with the "
    "speaker's name and a colon; several people may take part, so keep track of who said "
    "what. Answer in standard Markdown (Slack renders it): short paragraphs, lists and "
    "fenced code blocks; no HTML, and tables only when they really help. You see only this "
    "thread, not the rest of the channel."
)


def system_prompt(
    operator_prompt: str, *, workspace_prompt: str | None = None, channel_prompt: str | None = None
) -> str:
    parts = [PREAMBLE, operator_prompt.strip()]
    if workspace_prompt and workspace_prompt.strip():
        parts.append("Instructions for this workspace:\n" + workspace_prompt.strip())
    if channel_prompt and channel_prompt.strip():
        parts.append("Instructions for this channel:\n" + channel_prompt.strip())
    return "\n\n".join(part for part in parts if part)

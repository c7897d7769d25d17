"""The request parameters that turn on a channel's features, and a paused answer's continuation.
Pure. Tool types (versions) and thinking models come from settings, never from code.

Checked against anthropic 2.12 (`types/web_search_tool_20250305_param.py`,
`web_fetch_tool_20250910_param.py`, `thinking_config_*_param.py`): see docs/claude-tools.md.
"""

from __future__ import annotations

from typing import Any

from bot.core.features import Features
from bot.core.slack_search import TOOL as SLACK_TOOL
from bot.process.config import Settings

RESPONSE_ONLY_KEYS = ("caller",)
"""Fields the API returns on blocks but this bot has no reason to echo back."""


def feature_params(features: Features, settings: Settings, model: str) -> dict[str, Any]:
    """`tools`, `thinking` and the larger `max_tokens` thinking needs; {} when nothing is on."""
    extra: dict[str, Any] = {}
    tools: list[dict[str, Any]] = []
    if features.enabled("web"):
        uses = features.max_uses.get("web", settings.web_max_uses)
        tools.append({"type": settings.claude_web_search_tool, "name": "web_search", "max_uses": uses})
        if settings.claude_web_fetch_tool:
            tools.append(
                {
                    "type": settings.claude_web_fetch_tool,
                    "name": "web_fetch",
                    "max_uses": uses,
                    "citations": {"enabled": True},
                    "max_content_tokens": settings.web_fetch_max_content_tokens,
                }
            )
    if features.enabled("slack"):
        tools.append(SLACK_TOOL)
    if tools:
        extra["tools"] = tools
    if room := thinking_room(features, settings, model):
        thinking: dict[str, Any] = {"type": settings.claude_thinking_type, "display": "summarized"}
        if settings.claude_thinking_type == "enabled":
            thinking["budget_tokens"] = room
        extra["thinking"] = thinking
        extra["max_tokens"] = settings.claude_max_tokens + room
    return extra


def thinking_room(features: Features, settings: Settings, model: str) -> int:
    """The answer's extra room for thinking, which counts toward `max_tokens` (and so leaves the
    prompt that much less of the context window); 0 when the model won't think."""
    if features.enabled("thinking") and model in settings.claude_thinking_models:
        return settings.claude_thinking_budget_tokens
    return 0


def search_allowance(params: dict[str, Any], settings: Settings) -> int:
    """What the call's searches may count as against a budget, at most: reserved with its tokens."""
    uses = sum(
        int(tool.get("max_uses") or 0)
        for tool in params.get("tools") or ()
        if tool.get("name") == "web_search"
    )
    return uses * settings.web_search_budget_tokens


def continuation(params: dict[str, Any], content: list[dict[str, Any]]) -> dict[str, Any]:
    """The request that lets Claude go on after `pause_turn` (or after a client tool's call): the
    same one, with the answer's content so far sent back as the last assistant turn, as the API
    asks. `content` is the whole of that turn, so it takes the place of an assistant turn already
    sent back by an earlier pause."""
    blocks = [{k: v for k, v in block.items() if k not in RESPONSE_ONLY_KEYS} for block in content]
    blocks = [block for block in blocks if not (block.get("type") == "text" and not block.get("text"))]
    messages = params["messages"]
    if messages and messages[-1].get("role") == "assistant":
        messages = messages[:-1]
    return params | {"messages": [*messages, {"role": "assistant", "content": blocks}]}


def with_results(params: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    """The tool results answering the last assistant turn's calls, as the next user turn."""
    return params | {"messages": [*params["messages"], {"role": "user", "content": results}]}

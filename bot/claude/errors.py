"""What went wrong with a Claude call, in words for the user and a kind for the ledger."""

from __future__ import annotations

from dataclasses import dataclass

import httpx2


@dataclass(frozen=True)
class ClaudeFailure:
    kind: str
    """Short, stable label stored in the ledger's `error_kind` and used in logs."""
    user_message: str
    """What the person in Slack reads: specific, friendly, no internals."""
    request_id: str | None = None
    detail: str = ""
    """For the logs only (may quote the API's message)."""


_BUSY = "Claude is overloaded right now. Please try again in a minute."
_RATE = "Claude is getting more requests than this workspace's API limits allow. Please try again shortly."
_BROKEN = "The connection to Claude was lost before the answer was complete. Please ask again."

_BY_TYPE = {
    "overloaded_error": ("overloaded", _BUSY),
    "rate_limit_error": ("rate_limited", _RATE),
    "api_error": ("api_error", "Claude had an internal error. Please try again."),
    "authentication_error": (
        "authentication",
        "The bot's Anthropic API key was rejected. An admin needs to check `ANTHROPIC_API_KEY`.",
    ),
    "permission_error": (
        "permission",
        "The bot's Anthropic API key may not use this model. "
        "An admin needs to check the key and `CLAUDE_MODEL`.",
    ),
    "not_found_error": (
        "not_found",
        "Claude doesn't know the configured model. An admin needs to check `CLAUDE_MODEL`.",
    ),
    "request_too_large": ("request_too_large", "This thread is too large to send to Claude (over 32 MB)."),
}


def classify(exc: BaseException, request_id: str | None = None) -> ClaudeFailure:
    """`request_id` names the call when the exception itself does not (a stream that broke)."""
    import anthropic  # loaded: `exc` came from it, or from its transport

    if isinstance(exc, anthropic.APITimeoutError):
        return ClaudeFailure(
            "timeout", "Claude took too long to answer. Please try again.", request_id, detail=str(exc)
        )
    if isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
        return ClaudeFailure("connection", _BROKEN, request_id, detail=repr(exc))
    if isinstance(exc, anthropic.APIStatusError):
        detail = f"{exc.status_code} {exc.type}: {exc.api_message}"
        request_id = exc.request_id or request_id
        if exc.status_code == 529:
            return ClaudeFailure("overloaded", _BUSY, request_id, detail)
        if exc.type in _BY_TYPE:
            kind, message = _BY_TYPE[exc.type]
            return ClaudeFailure(kind, message, request_id, detail)
        if exc.type == "invalid_request_error" or exc.status_code == 400:
            if "prompt is too long" in (exc.api_message or ""):
                return ClaudeFailure(
                    "context_too_long",
                    "This thread is longer than Claude can read at once. Start a new thread to go on.",
                    request_id,
                    detail,
                )
            return ClaudeFailure(
                "invalid_request",
                "Claude rejected the request the bot built. This is a bug or a setting to fix; an admin "
                "can find the details in the bot's logs.",
                request_id,
                detail,
            )
        if exc.status_code >= 500:
            return ClaudeFailure(
                "api_error", "Claude had an internal error. Please try again.", request_id, detail
            )
        return ClaudeFailure(
            "api_status", "Claude could not answer this time. Please try again.", request_id, detail
        )
    return ClaudeFailure(
        "unexpected", "Something went wrong while talking to Claude.", request_id, detail=repr(exc)
    )


def stalled(request_id: str | None, *, started_text: bool, total: bool) -> ClaudeFailure:
    """A stream that went quiet (or ran past the overall cap) is ended like a dropped one."""
    if total:
        return ClaudeFailure("too_long", "The answer took longer than this bot allows.", request_id)
    if started_text:
        return ClaudeFailure("stalled", "Claude stopped sending text partway through.", request_id)
    return ClaudeFailure(
        "busy", "Claude is too busy to answer right now. Please try again in a minute.", request_id
    )

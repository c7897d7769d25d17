"""Secrets out of text bound for the logs: Slack tokens, Anthropic keys, credentials in headers,
key-value pairs and URLs.

A backstop, not the plan: the bot never logs a secret on purpose, but libraries logging at DEBUG
(SQL parameters, request arguments, tracebacks quoting a value) would. Patterns, not a list of the
current secrets, so a token refreshed a minute ago is caught as surely as the one in the env.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_SLACK_TOKEN = re.compile(r"\b(xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]+")
"""xoxb-/xoxp-/xoxa- tokens, rotating `xoxe.xoxb-…` ones, `xoxe-…` refresh tokens, `xapp-…`."""
_ANTHROPIC_KEY = re.compile(r"\bsk-ant-[A-Za-z0-9_-]+")
_AUTH_SCHEME = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_SECRET_FIELD = re.compile(
    r"""(?P<key>["']?[\w-]*(?:secret|token|password|api[_-]?key|authorization|credential)["']?"""
    r"""\s*[:=]\s*)(?P<quote>["']?)(?P<value>[^"'\s,;&}\])]+)""",
    re.IGNORECASE,
)
"""`client_secret=…`, `"refresh_token": "…"`, `Authorization: …`: whatever the value looks like.
Keys must END with the word, so `input_tokens: 12` and `token_type: bot` are left alone."""
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+(?=@)", re.IGNORECASE)
"""`postgresql://user:password@host`: the password."""


def redact(text: str) -> str:
    """`text` with every secret it seems to hold replaced by a marker (the token's kind kept)."""
    if not text:
        return text
    text = _SECRET_FIELD.sub(_keep_key, text)
    text = _AUTH_SCHEME.sub(lambda match: f"{match.group(1)} {REDACTED}", text)
    text = _SLACK_TOKEN.sub(lambda match: f"{match.group(1)}-{REDACTED}", text)
    text = _ANTHROPIC_KEY.sub(f"sk-ant-{REDACTED}", text)
    return _URL_PASSWORD.sub(lambda match: f"{match.group('scheme')}{REDACTED}", text)


def _keep_key(match: re.Match[str]) -> str:
    if match.group("value") == REDACTED or match.group("value").lower() in ("bearer", "basic"):
        return match.group(0)
    return f"{match.group('key')}{match.group('quote')}{REDACTED}"

"""Logging set-up: text or JSON lines; libraries kept at INFO and every line stripped of secrets."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType

from bot.core.redaction import redact

_BOLT_VERIFICATION_LOGGERS = ("slack_bolt.RequestVerification", "slack_bolt.AsyncRequestVerification")


_FIELDS: ContextVar[Mapping[str, str]] = ContextVar("log_fields", default=MappingProxyType({}))


def bind(**fields: str | None) -> None:
    """Identify what the current task works on (event, workspace, channel, thread, Claude request)
    in every log line it writes from now on. Ids only: never a token or message text."""
    _FIELDS.set({**_FIELDS.get(), **{k: v for k, v in fields.items() if v}})


class _AddFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.fields = _FIELDS.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


class RedactSecrets(logging.Filter):
    """On the handler, so every logger's lines pass through it whatever its level: the message with
    its arguments filled in, the traceback (formatted once here, and cached where formatters look
    for it), the stack and the bound fields lose anything that looks like a token or key."""

    def __init__(self) -> None:
        super().__init__()
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        fields = getattr(record, "fields", None)
        if fields:
            record.fields = {key: redact(str(value)) for key, value in fields.items()}
        return True


class _RedactSignatureFailures(logging.Filter):
    """Bolt logs the whole request body (user message text) on a bad signature; keep the fact only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Invalid request signature"):
            record.msg, record.args = "Refused a request with an invalid Slack signature", ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def configure(level: str = "INFO", fmt: str = "text", library_level: str | None = None) -> None:
    """The bot's own loggers (`bot.*`) at `level`; everything else (slack_sdk, slack_bolt, anthropic,
    httpx2, aiohttp, aiosqlite, asyncpg, sqlalchemy, alembic, …) at `library_level`, by default
    INFO or `level` when that is quieter: at DEBUG they log request bodies (message text) and SQL
    parameters (tokens)."""
    handler = logging.StreamHandler()
    handler.addFilter(_AddFields())
    handler.addFilter(RedactSecrets())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(library_level.upper() if library_level else _quieter(level.upper(), "INFO"))
    logging.getLogger("bot").setLevel(level.upper())
    protect_bolt_logger()


def protect_bolt_logger() -> None:
    for name in _BOLT_VERIFICATION_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactSignatureFailures) for f in logger.filters):
            logger.addFilter(_RedactSignatureFailures())


def _quieter(first: str, second: str) -> str:
    return max(first, second, key=logging.getLevelName)

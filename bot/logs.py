"""Logging set-up: text or JSON lines, and no message text from Bolt's signature check."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType

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
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _RedactSignatureFailures(logging.Filter):
    """Bolt logs the whole request body (user message text) on a bad signature; keep the fact only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Invalid request signature"):
            record.msg, record.args = "Refused a request with an invalid Slack signature", ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def configure(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_AddFields())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    protect_bolt_logger()


def protect_bolt_logger() -> None:
    for name in _BOLT_VERIFICATION_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactSignatureFailures) for f in logger.filters):
            logger.addFilter(_RedactSignatureFailures())

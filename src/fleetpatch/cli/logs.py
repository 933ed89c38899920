"""How the `fleetpatch` command logs: plain lines, or one JSON object per record (`--log-json`).

Only the entry point configures handlers (the rest of fleetpatch only calls
`logging.getLogger(__name__)`). A JSON line is built with `json.dumps` from the record's fields,
never by pasting text into a template, so a message holding quotes, backslashes, newlines or any
character, and a traceback, still gives exactly one line a JSON parser reads. The engine passes the
host, run and step it works on as `extra={...}`; they become fields of their own.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from fleetpatch.settings import Settings

PLAIN_FORMAT = "%(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("host", "run", "step")
"""Record attributes (set with `extra=`) that a JSON line carries when present."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (ISO 8601, UTC), level, logger, message, the context
    fields present, and the exception (`exc`) or stack (`stack`) text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # ASCII escapes keep the line valid whatever encoding stderr has; `str` for odd extras.
        return json.dumps(line, default=str)


def _message(record: logging.LogRecord) -> str:
    """The formatted message; a call whose arguments do not fit its format still logs something
    rather than failing inside the handler."""
    try:
        return record.getMessage()
    except (TypeError, ValueError):
        return f"{record.msg!s} {record.args!r}"


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_json else logging.Formatter(PLAIN_FORMAT))
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)

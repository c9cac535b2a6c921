"""JSON logs, one object per line, with the runbook's fields when a record carries them."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from reconcile.config import load_settings
from reconcile.observability.trace import current as current_trace
from reconcile.observability.trace import trace_id_of

FIELDS = (
    "request_id", "task_id", "report_id", "platform", "attempt", "backoff_seconds",
    "error_code", "severity", "status", "missing_reason", "duration_ms", "path", "method",
    "outcome", "rule", "queue", "priority", "trace_id", "trigger",
)
# Belt and braces: nothing shaped like one of our API keys is ever written out.
_KEY = re.compile(r"rk_[A-Za-z0-9_\-]{20,}")


def _scrub(text: str) -> str:
    return _KEY.sub("rk_***", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _scrub(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if "trace_id" not in out and "request_id" in out:
            # A request's or a job's line: name the W3C trace it runs in.
            trace_id = trace_id_of(current_trace())
            if trace_id:
                out["trace_id"] = trace_id
        if record.name == "performance" or getattr(record, "performance", False):
            out["tag"] = "performance"
        if record.exc_info:
            out["exc"] = _scrub(self.formatException(record.exc_info))
        return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return _scrub(super().format(record))


_configured = False


def configure_logging(force: bool = False) -> None:
    """Send every log record to stderr in the configured format (once per process)."""
    global _configured
    if _configured and not force:
        return
    settings = load_settings()
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "text":
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for noisy in ("urllib3", "werkzeug", "kombu", "amqp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True

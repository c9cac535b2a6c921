"""W3C trace context (`traceparent`), carried from an API request into its tasks."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_FORMAT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_current: ContextVar[str | None] = ContextVar("traceparent", default=None)


def parse(header: str | None) -> tuple[str, str, str] | None:
    """Return (trace id, parent span id, flags) of a valid traceparent, else None."""
    match = _FORMAT.match((header or "").strip().lower())
    if match is None:
        return None
    version, trace_id, span_id, flags = match.groups()
    if version == "ff" or set(trace_id) == {"0"} or set(span_id) == {"0"}:
        return None
    return trace_id, span_id, flags


def child_of(header: str | None) -> str:
    """Return a traceparent for a new span: in the caller's trace, or in a new one."""
    parsed = parse(header)
    trace_id, flags = (parsed[0], parsed[2]) if parsed else (secrets.token_hex(16), "01")
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def trace_id_of(header: str | None) -> str | None:
    parsed = parse(header)
    return parsed[0] if parsed else None


def adopt(header: str | None) -> str:
    """Start this context's span as a child of header; return its traceparent."""
    value = child_of(header)
    _current.set(value)
    return value


def forget() -> None:
    _current.set(None)


def current() -> str | None:
    """The traceparent of the span this context runs in, if any."""
    return _current.get()

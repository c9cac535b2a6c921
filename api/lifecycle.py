"""A request's id, trace context and its two log lines: the same for every route, whether
Flask dispatches it or the redirect's WSGI fast path (api.fast_redirect) answers it."""

from __future__ import annotations

import logging
import uuid

from reconcile.observability import trace

log = logging.getLogger("reconcile.api.request")


def request_id_of(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is printable (cut to 64), else a new one."""
    return incoming[:64] if incoming and incoming.isprintable() else uuid.uuid4().hex


def adopt_trace(incoming: str | None) -> str:
    """This request's span in the caller's W3C trace (or a new trace); its traceparent."""
    return trace.adopt(incoming)


def started(request_id: str, path: str, method: str) -> None:
    log.info("Request started", extra={"request_id": request_id, "path": path,
                                        "method": method})


def finished(request_id: str, path: str, method: str, status: int, seconds: float) -> None:
    log.info("Request finished",
             extra={"request_id": request_id, "path": path, "method": method,
                    "status": status, "duration_ms": round(seconds * 1000, 2)})

"""Wrap every simulated API route: count the call, add latency, play the fault."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify

from reconcile.platforms.urls import post_id_is_valid
from reconcile.sim.store import Fault, SimStore

# mode -> (HTTP status, short reason, message)
_FAILURES = {
    "error": (503, "backendError", "The service is currently unavailable."),
    "rate_limit": (429, "rateLimitExceeded", "Too Many Requests"),
    "auth": (401, "unauthorized", "Invalid or expired access token."),
    "not_found": (404, "notFound", "The requested resource was not found."),
    "timeout": (504, "deadlineExceeded", "The request timed out."),
}

# A body cut off mid-document: valid JSON prefix, never parseable.
_BROKEN_BODY = '{"data": [{"id": "1", "metrics": {"views": 12'


def store() -> SimStore:
    """Return the store of the running simulator app."""
    found: SimStore = current_app.extensions["reconcile_sim"]
    return found


def error_body(platform: str, status: int, reason: str, message: str) -> dict[str, Any]:
    """Shape an error the way the platform's real API does."""
    if platform == "youtube":
        errors = [{"message": message, "domain": "global", "reason": reason}]
        return {"error": {"code": status, "message": message, "errors": errors}}
    if platform == "x":
        return {"title": reason, "detail": message, "type": "about:blank", "status": status}
    if platform == "reddit":
        return {"message": message, "error": status}
    if platform == "instagram":
        code = {401: 190, 429: 4, 404: 100}.get(status, 2)
        error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "sim"}
        return {"error": error}
    return {"data": {}, "error": {"code": reason, "message": message, "log_id": "sim"}}


def failure(platform: str, status: int, reason: str, message: str) -> Response:
    """Answer with the platform's error shape and status."""
    response = jsonify(error_body(platform, status, reason, message))
    response.status_code = status
    return response


def _fault_response(platform: str, fault: Fault, generation: int) -> Response | None:
    if fault.mode == "none":
        return None
    if fault.mode == "malformed":
        return Response(_BROKEN_BODY, status=200, mimetype="application/json")
    if fault.mode == "timeout":
        # Hold past any sane client timeout; a fault change or reset releases it early.
        hold = float(current_app.config["SIM_TIMEOUT_HOLD_SECONDS"])
        store().wait(platform, hold, generation)
    response = failure(platform, *_FAILURES[fault.mode])
    if fault.mode == "rate_limit":
        response.headers["Retry-After"] = str(math.ceil(fault.retry_after))
    return response


def api_call(platform: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view as one call to platform's API."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            fault, generation = store().record_call(platform)
            store().wait(platform, fault.latency_ms / 1000, generation)
            return _fault_response(platform, fault, generation) or view(*args, **kwargs)

        return wrapper

    return decorate


def split_ids(raw: str | None) -> list[str]:
    """Split a comma-separated id list, dropping blanks and repeats."""
    return list(dict.fromkeys(part.strip() for part in (raw or "").split(",") if part.strip()))


def exists(platform: str, post_id: str) -> bool:
    """Whether the platform shows this post: a well-formed id not taken down."""
    return post_id_is_valid(platform, post_id) and not store().is_removed(platform, post_id)

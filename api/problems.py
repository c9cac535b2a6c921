"""problem+json responses, and the mapping from named failures to them."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from reconcile.errors import ReconcileError, ValidationFailed

log = logging.getLogger("reconcile.api.request")

_TITLES = {
    400: "Malformed request", 401: "Authentication required", 403: "Forbidden",
    404: "Not found", 405: "Method not allowed", 409: "Conflict", 422: "Validation error",
    429: "Too many requests", 503: "Service unavailable",
}
_CODES = {400: "MALFORMED_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
          413: "MALFORMED_REQUEST", 415: "MALFORMED_REQUEST"}


def problem_body(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": f"https://reconcile.dev/problems/{code.lower().replace('_', '-')}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> Response:
    body = problem_body(status, code, detail, **extra)
    resp = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def named_problem(exc: ReconcileError) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the problem body and headers a named failure answers with."""
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = exc.errors
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:  # 429 and every 503 tell the client when to come back
        headers["Retry-After"] = str(retry_after)
    post_id = getattr(exc, "post_id", None)
    if post_id is not None:
        extra["post_id"] = post_id
    return problem_body(exc.status, exc.code, exc.detail, **extra), headers


def register(app: Flask) -> None:
    @app.errorhandler(ReconcileError)
    def _named(exc: ReconcileError) -> Response:
        body, headers = named_problem(exc)
        resp = Response(json.dumps(body), status=exc.status, mimetype="application/problem+json")
        resp.headers.update(headers)
        return resp

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        return problem(400, "MALFORMED_REQUEST", "the body is larger than 64 KiB")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        status = 400 if status in (413, 415) else status
        keep = {k: v for k, v in exc.get_headers() if k == "Allow"}  # 405 names the methods
        return problem(status, _CODES.get(status, "ERROR"), exc.description or "", keep)

    @app.errorhandler(DataError)
    def _out_of_range(exc: DataError) -> Response:
        # Input the validators let through but the database refuses (a value out of its range)
        # is the caller's to fix, not an outage.
        log.warning("Database refused a value", extra={"error_code": type(exc).__name__})
        return problem(422, "VALIDATION_ERROR", "a value is out of the range the database accepts",
                       errors=[{"field": "query", "message": "value out of range"}])

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _db_down(exc: Exception) -> Response:
        log.error("Database unavailable", extra={"error_code": type(exc).__name__})
        return problem(503, "SERVICE_UNAVAILABLE", "the database is unavailable",
                       {"Retry-After": "5"})

    @app.errorhandler(RedisError)
    def _redis_down(exc: RedisError) -> Response:
        # Every read of queues, breakers, SLO samples and the intake cache needs Redis: its
        # outage is a dependency down (503), whichever route met it.
        log.error("Redis unavailable", extra={"error_code": type(exc).__name__})
        return problem(503, "SERVICE_UNAVAILABLE", "Redis is unavailable",
                       {"Retry-After": "5"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("Unhandled error")
        return problem(500, "INTERNAL_ERROR", "an unexpected error occurred")

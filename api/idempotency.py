"""The `Idempotency-Key` header: replay the first answer instead of running twice."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Response, request
from pydantic import BaseModel

from api.auth import current
from api.problems import named_problem
from reconcile.errors import ReconcileError, ValidationFailed
from reconcile.services.intake import idempotency

HEADER = "Idempotency-Key"
MAX_KEY = 200
PATTERN = r"^[\x20-\x7E]+$"  # printable ASCII
# The header as the OpenAPI document describes it, from the same limits `idempotent` checks.
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": HEADER, "required": False,
    "description": "Replay the first answer to a retried request instead of running it twice",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": PATTERN},
}


def _respond(status: int, body: dict[str, Any], replayed: bool) -> Response:
    mimetype = "application/problem+json" if status >= 400 else "application/json"
    resp = Response(json.dumps(body), status=status, mimetype=mimetype)
    if replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


def idempotent(body: BaseModel, run: Callable[[], tuple[dict[str, Any], int]]) -> Response:
    """Run the use case once per key; a replay with the same body gets the same answer."""
    key = request.headers.get(HEADER)
    if key is None:
        result, status = run()
        return _respond(status, result, False)
    if not 1 <= len(key) <= MAX_KEY or not re.fullmatch(PATTERN, key):
        raise ValidationFailed([{"field": HEADER,
                                 "message": f"1 to {MAX_KEY} printable ASCII characters"}])
    canonical = json.dumps([request.path, body.model_dump(mode="json")], sort_keys=True)
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    user_id = current().user_id
    stored = idempotency.claim(user_id, key, fingerprint)
    if stored is not None:
        return _respond(stored.status, stored.body, True)
    try:
        result, status = run()
    except ReconcileError as exc:
        if exc.status >= 500:  # transient: let the client retry with the same key
            idempotency.release(user_id, key)
            raise
        problem, _ = named_problem(exc)
        idempotency.finish(user_id, key, exc.status, problem)
        raise
    except BaseException:
        idempotency.release(user_id, key)
        raise
    idempotency.finish(user_id, key, status, result)
    return _respond(status, result, False)

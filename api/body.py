"""Parse a JSON body strictly into a pydantic model."""

from __future__ import annotations

from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import BadRequest

from reconcile.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)
MAX_BODY = 64 * 1024


class Malformed(BadRequest):
    pass


def parse(model: type[M]) -> M:
    """Return the body as `model`; 400 for non-JSON, 422 listing every invalid field."""
    if request.mimetype != "application/json":
        raise Malformed("the body must be JSON (Content-Type: application/json)")
    if (request.content_length or 0) > MAX_BODY:
        raise Malformed("the body is larger than 64 KiB")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise Malformed("the body is larger than 64 KiB")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise Malformed("the body is not valid JSON") from exc
        raise failed(exc) from exc


def validate(model: type[M], data: dict) -> M:
    """Return `data` as `model`; 422 listing every invalid field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise failed(exc) from exc


def failed(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed(
        [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors()
        ]
    )

"""The OpenAPI document, generated from the pydantic models that validate the requests.

Every /api/v1 route of the app is in the document, described or not: the roles come from
`require(...)`. Describe a view's body, query, answer and summary with `document`, placed
above `require` (other engineers' blueprints work the same way)::

    from api.openapi import document

    @bp.get("/ops/queues")
    @document("Queue depths", response=QueuesOut)   # QueuesOut: a pydantic model
    @require("ADMIN", "ANALYST")
    def queues(): ...

Only register the blueprint under /api/v1 in `api.create_app`; nothing else is needed.
tests/integration/test_openapi_agreement.py fails when a view validates a body, a query
parameter or a header that its `document` does not describe.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from apispec import APISpec
from flask import Flask
from pydantic import BaseModel

from api.guide import GUIDE
from api.responses import Problem
from reconcile.vocabulary import PLATFORMS

F = TypeVar("F", bound=Callable[..., Any])
PREFIX = "/api/v1"
ERRORS = {
    "400": "Malformed request (not JSON, wrong content type, body over 64 KiB)",
    "401": "Missing, unknown or revoked API key", "403": "The role may not do this",
    "404": "Not found, or not the caller's to see", "405": "Method not allowed",
    "409": "Conflict with the current state", "422": "Validation error",
    "429": "Rate limited (see Retry-After)", "503": "A service the request needs is down",
}
_REF = "#/components/schemas/{model}"
_PLATFORMS = list(PLATFORMS)


def document(summary: str, *, body: type[BaseModel] | None = None,
             query: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
             status: int = 200, description: str = "",
             headers: Sequence[Mapping[str, Any]] = (), media: str = "application/json",
             also: Mapping[int, str] | None = None) -> Callable[[F], F]:
    """Attach what the OpenAPI document says about a view; `headers` are the OpenAPI header
    parameters the view reads (each kept beside the code that validates it); `media` is
    the success answer's content type (a CSV download says text/csv); `also` names other
    success statuses the view answers with the same body (status: description)."""
    def decorate(view: F) -> F:
        view.openapi = {  # type: ignore[attr-defined]
            "summary": summary, "body": body, "query": query, "response": response,
            "status": status, "description": description, "headers": tuple(headers),
            "media": media, "also": dict(also or {}),
        }
        return view
    return decorate


class _Builder:
    def __init__(self, title: str, version: str) -> None:
        self.spec = APISpec(title=title, version=version, openapi_version="3.1.0",
                            info={"description": GUIDE})
        self.spec.components.security_scheme(
            "bearerAuth", {"type": "http", "scheme": "bearer", "description": "API key"})
        self.known: set[str] = set()
        self.ref(Problem, "serialization")

    def ref(self, model: type[BaseModel], mode: str) -> dict[str, str]:
        schema = model.model_json_schema(ref_template=_REF, mode=mode)  # type: ignore[arg-type]
        for name, sub in schema.pop("$defs", {}).items():
            self._add(name, sub)
        self._add(model.__name__, schema)
        return {"$ref": _REF.format(model=model.__name__)}

    def _add(self, name: str, schema: dict[str, Any]) -> None:
        if name not in self.known:
            self.known.add(name)
            self.spec.components.schema(name, schema)

    def operation(self, view: Any, rule: Any, method: str) -> dict[str, Any]:
        meta = getattr(view, "openapi", {}) or {}
        roles = getattr(view, "required_roles", None)
        status = str(meta.get("status", 200)) if method != "HEAD" else "200"
        response = meta.get("response")
        ok: dict[str, Any] = {"description": "Success", "headers": _headers()}
        media = meta.get("media", "application/json")
        ok["content"] = {media: {
            "schema": self.ref(response, "serialization") if response
            else {"type": "object"} if media == "application/json" else {"type": "string"}}}
        others = {str(code): {**ok, "description": text}
                  for code, text in (meta.get("also") or {}).items()}
        op: dict[str, Any] = {
            "summary": meta.get("summary") or view.__name__.replace("_", " ").capitalize(),
            "operationId": f"{method.lower()}_{rule.endpoint.replace('.', '_')}",
            "tags": [rule.endpoint.split(".")[0]],
            "parameters": _path_params(rule) + self._query_params(meta.get("query"))
            + [{**h, "in": "header"} for h in meta.get("headers", ())],
            "responses": {status: ok, **others,
                          **{code: self._error(text) for code, text in ERRORS.items()
                             if code != status}},
            "security": [{"bearerAuth": []}] if roles else [],
        }
        description = meta.get("description", "")
        if roles:
            op["x-roles"] = list(roles)
            description = f"Roles: {', '.join(roles)}. {description}".strip()
        op["description"] = description
        if meta.get("body"):
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": self.ref(meta["body"], "validation")}}}
        return op

    def _query_params(self, model: type[BaseModel] | None) -> list[dict[str, Any]]:
        if model is None:
            return []
        schema = model.model_json_schema(ref_template=_REF, mode="validation")
        required = set(schema.get("required", []))
        return [{"name": name, "in": "query", "required": name in required,
                 "schema": _not_null(prop)} for name, prop in schema["properties"].items()]

    def _error(self, text: str) -> dict[str, Any]:
        return {"description": text, "headers": _headers(), "content": {
            "application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}}}


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a value: drop the `null` branch pydantic adds."""
    options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        rest = {k: v for k, v in prop.items() if k != "anyOf" and k != "default"}
        return {**rest, **options[0]}
    return prop


def _headers() -> dict[str, Any]:
    text = {"X-RateLimit-Limit": "Requests allowed in the window",
            "X-RateLimit-Remaining": "Requests left in the window",
            "X-RateLimit-Reset": "Seconds until the window resets"}
    headers: dict[str, Any] = {name: {"description": d, "schema": {"type": "string"}}
                               for name, d in text.items()}
    headers["X-Request-ID"] = {"description": "Echoed, or made up", "required": True,
                               "schema": {"type": "string"}}
    return headers


def _path_params(rule: Any) -> list[dict[str, Any]]:
    params = []
    for name, converter in rule._converters.items():
        if type(converter).__name__ in ("IntegerConverter", "BoundedIntegerConverter"):
            schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 2**62}
        elif name == "name" and "platforms" in rule.rule:
            schema = {"type": "string", "enum": _PLATFORMS}
        else:
            schema = {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def build_spec(app: Flask, title: str = "reconcile", version: str = "1") -> dict[str, Any]:
    """Describe every /api/v1 route of `app`."""
    builder = _Builder(title, version)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIX) or rule.endpoint.startswith(("docs", "swagger")):
            continue
        view = app.view_functions[rule.endpoint]
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        builder.spec.path(path=path, operations={
            m.lower(): builder.operation(view, rule, m) for m in methods})
    return builder.spec.to_dict()

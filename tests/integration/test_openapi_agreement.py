"""The OpenAPI document describes exactly what each /api/v1 route validates.

The views are read, not run: for every route, the code of its view and of the api/ helpers
it calls is walked for the body model it parses (`parse`), the query model (`parse_query`)
and the headers it reads (`request.headers`), and that is compared with the operation the
document gives for the route. The last tests show the check catching a route that
validates something its document leaves out.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Blueprint, Flask, jsonify, request
from pydantic import BaseModel, ConfigDict

from api.body import parse
from api.openapi import PREFIX, build_spec, document
from api.params import parse_query

VALIDATORS = {"parse": "body", "parse_query": "query"}


@dataclass
class Validated:
    bodies: set[type[BaseModel]] = field(default_factory=set)
    queries: set[type[BaseModel]] = field(default_factory=set)
    headers: set[str] = field(default_factory=set)
    unresolved: list[str] = field(default_factory=list)


def _resolve(node: ast.expr, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, names)
        try:
            return getattr(owner, node.attr, None) if owner is not None else None
        except RuntimeError:  # a Flask proxy (g, request) outside a request
            return None
    return None


def _is_request_headers(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "headers"
            and isinstance(node.value, ast.Name) and node.value.id == "request")


def _header_read(node: ast.AST) -> ast.expr | None:
    """The key of `request.headers.get(KEY)` or `request.headers[KEY]`, if node is one."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "get" and _is_request_headers(node.func.value) and node.args:
        return node.args[0]
    if isinstance(node, ast.Subscript) and _is_request_headers(node.value):
        return node.slice
    return None


def walk(fn: Any, found: Validated | None = None, seen: set[Any] | None = None) -> Validated:
    """What `fn`, and every api/ function it calls, validates of the request."""
    found = Validated() if found is None else found
    seen = set() if seen is None else seen
    fn = inspect.unwrap(fn)
    if fn in seen:
        return found
    seen.add(fn)
    names = {**fn.__globals__, **inspect.getclosurevars(fn).nonlocals}
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    for node in ast.walk(tree):
        key = _header_read(node)
        if key is not None:
            header = _resolve(key, names)
            if isinstance(header, str):
                found.headers.add(header.lower())
            else:
                found.unresolved.append(f"{fn.__qualname__}: header {ast.unparse(key)}")
        if not isinstance(node, ast.Call):
            continue
        callee = _resolve(node.func, names)
        kind = VALIDATORS.get(getattr(callee, "__name__", ""))
        if kind and getattr(callee, "__module__", "").startswith("api."):
            model = _resolve(node.args[0], names) if node.args else None
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                found.unresolved.append(f"{fn.__qualname__}: {kind} of {ast.unparse(node)}")
            else:
                (found.bodies if kind == "body" else found.queries).add(model)
        elif inspect.isfunction(callee) and callee.__module__.startswith("api."):
            walk(callee, found, seen)
    return found


def _ref_name(schema: dict[str, Any]) -> str:
    return str(schema.get("$ref", "")).rsplit("/", 1)[-1]


def disagreements(app: Flask) -> list[str]:
    """Every way a route's validation and its operation in the document differ."""
    spec = build_spec(app)
    problems: list[str] = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX) or rule.endpoint.startswith(("docs", "swagger")):
            continue
        validated = walk(app.view_functions[rule.endpoint])
        problems += validated.unresolved
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = spec["paths"].get(path, {}).get(method.lower())
            where = f"{method} {path}"
            if op is None:
                problems.append(f"{where} is not in the document")
                continue
            problems += _compare(where, op, validated)
    return problems


def _compare(where: str, op: dict[str, Any], validated: Validated) -> list[str]:
    problems = []
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    documented_body = {_ref_name(body["schema"])} if body else set()
    parsed_body = {m.__name__ for m in validated.bodies}
    if parsed_body != documented_body:
        problems.append(f"{where} validates body {sorted(parsed_body)}, "
                        f"the document describes {sorted(documented_body)}")
    params = op.get("parameters", [])
    documented_query = {p["name"] for p in params if p["in"] == "query"}
    parsed_query = {name for m in validated.queries for name in m.model_fields}
    if parsed_query != documented_query:
        problems.append(f"{where} validates query {sorted(parsed_query)}, "
                        f"the document describes {sorted(documented_query)}")
    documented_headers = {p["name"].lower() for p in params if p["in"] == "header"}
    if op.get("security"):
        documented_headers.add("authorization")  # the bearerAuth scheme
    missing = validated.headers - documented_headers
    if missing:
        problems.append(f"{where} reads headers {sorted(missing)} the document leaves out")
    phantom = {p["name"].lower() for p in params if p["in"] == "header"} - validated.headers
    if phantom:
        problems.append(f"{where} documents headers {sorted(phantom)} it never reads")
    return problems


def test_every_api_route_validates_only_what_its_document_describes(app: Flask) -> None:
    assert disagreements(app) == []


def test_the_walk_finds_the_idempotency_key_behind_the_submission_view(app: Flask) -> None:
    found = walk(app.view_functions["submissions.submit"])
    assert "idempotency-key" in found.headers
    assert {m.__name__ for m in found.bodies} == {"SubmissionIn"}


# --- a toy app: the check catches each kind of gap ---------------------------------------


class ThingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class ThingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    colour: str | None = None


def _toy(gap: str) -> Flask:
    bp = Blueprint("toy", __name__)
    if gap == "body":
        @bp.post("/things")
        @document("Make a thing")
        def make() -> Any:
            return jsonify(parse(ThingIn).model_dump())
    elif gap == "query":
        @bp.get("/things")
        @document("List things")
        def things() -> Any:
            return jsonify(parse_query(ThingQuery).model_dump())
    elif gap == "header":
        @bp.get("/things")
        @document("List things")
        def things_by_tenant() -> Any:
            return jsonify({"tenant": request.headers.get("X-Tenant")})
    else:
        @bp.post("/things")
        @document("Make a thing", body=ThingIn)
        def make_described() -> Any:
            return jsonify({})
    app = Flask(__name__)
    app.register_blueprint(bp, url_prefix=PREFIX)
    return app


@pytest.mark.parametrize(("gap", "expected"), [
    ("body", "validates body ['ThingIn'], the document describes []"),
    ("query", "validates query ['colour'], the document describes []"),
    ("header", "reads headers ['x-tenant'] the document leaves out"),
    ("phantom body", "validates body [], the document describes ['ThingIn']"),
])
def test_a_route_that_validates_what_its_document_omits_is_caught(gap: str,
                                                                  expected: str) -> None:
    problems = disagreements(_toy(gap))
    assert any(expected in p for p in problems), problems

"""Any body at any write route: never a 500, and a refused request stores nothing.

Hypothesis throws arbitrary unicode (NUL and every control character included), nesting
and sizes at every POST / PUT / PATCH route the app serves, found from its URL map, so a
route added later is covered too: valid bodies with one field replaced by anything, any
JSON at all, bodies nested thousands deep, bodies past the size limit, bytes that are not
UTF-8. The answer is never 5xx (other than 503 OVERLOADED, a legitimate refusal of load),
and when the request is refused every table holds exactly the rows it held before.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Base, Platform
from reconcile.text import has_control
from tests.integration.apihelp import (
    alert_about,
    auth,
    new_campaign,
    new_user,
    post_url,
    submit_as,
)

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Text with every kind of character, control characters and NUL made likely.
TEXT = st.text(st.one_of(st.characters(codec="utf-8"),
                         st.sampled_from("\x00\x01\x07\x1b\x7f\x85\x9f\t\n\r\u2028\ufeff")),
               max_size=300)
CONTROL = st.one_of(st.just("\x00"), st.characters(min_codepoint=0, max_codepoint=0x9F)
                    .filter(has_control))
# Text that surely holds one: the case PostgreSQL answered with a 500 before (NUL).
TEXT_WITH_CONTROL = st.tuples(TEXT.map(lambda t: t[:60]), CONTROL, TEXT.map(lambda t: t[:60])) \
    .map("".join)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)


def _write_routes(app: Any) -> list[tuple[str, str]]:
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/api/v1/")
                  for method in (rule.methods or set()) & WRITES)


@pytest.fixture(scope="module")
def targets(stack: Any, simulator: str) -> dict[str, Any]:
    """A world of this module's own, and throwaway resources for the path parameters."""
    from reconcile.dispatch import set_dispatcher
    from reconcile.services.admin.accounts import create_client
    from tests.integration.conftest import RecordingDispatcher

    set_dispatcher(RecordingDispatcher())
    try:
        client_id = create_client("property")["id"]
        campaign = new_campaign(client_id)
        affiliate = new_user("AFFILIATE")
        return {
            "client_id": client_id, "campaign": campaign,
            "users": {"ADMIN": new_user("ADMIN"), "CLIENT": new_user("CLIENT", client_id),
                      "AFFILIATE": affiliate},
            "post": submit_as(affiliate, campaign)["post_id"],
            "alert": alert_about(affiliate, campaign),
            "victim": new_user("ANALYST")["id"],  # the user the PATCH and api-key routes hit
        }
    finally:
        set_dispatcher(None)


def _templates(t: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A body each known route accepts; routes not listed here get `{}` to start from."""
    metrics = {"claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 0}
    return {
        "/api/v1/clients": {"name": "c"},
        "/api/v1/users": {"role": "ANALYST", "name": "n", "email": "n@example.com"},
        "/api/v1/users/<int:user_id>": {"is_active": True},
        "/api/v1/platforms/<name>": {"is_active": True},
        "/api/v1/campaigns": {"name": "n", "client_id": t["client_id"], "platforms": ["x"]},
        "/api/v1/submissions": {"campaign_id": t["campaign"], "platform": "youtube",
                                "url": post_url(), **metrics, "title": "t", "evidence": "e"},
        "/api/v1/submissions/message": {"campaign_id": t["campaign"],
                                        "text": f"{post_url()} views 10 clicks 1 sales 0"},
        "/api/v1/submissions/<int:post_id>/metrics": {**metrics, "evidence": "e"},
        "/api/v1/reconciliation/run": {"campaign_id": t["campaign"], "force": True},
        "/api/v1/alerts/<int:alert_id>/resolve": {"note": "n"},
        "/api/v1/ops/intake": {"paused": False},
    }


def _path(rule: str, t: dict[str, Any], name: str) -> str:
    ids = {"user_id": t["victim"], "post_id": t["post"], "alert_id": t["alert"]}

    def fill(match: re.Match[str]) -> str:
        converter, param = match.group(1), match.group(2)
        if converter == "int":
            return str(ids.get(param, 1))
        return name
    return re.sub(r"<(?:(\w+):)?(\w+)>", fill, rule)


def _role(rule: str) -> str:
    if "/submissions" in rule:
        return "AFFILIATE"
    if "/reconciliation/run" in rule or "/resolve" in rule:
        return "CLIENT"
    return "ADMIN"


def _counts() -> dict[str, int]:
    with unit_of_work() as uow:
        return {t.name: int(uow.session.scalar(select(func.count()).select_from(t)) or 0)
                for t in Base.metadata.sorted_tables}


@st.composite
def bodies(draw: Any, template: dict[str, Any]) -> tuple[bytes, bool]:
    """A body: the template with fields replaced or added, any JSON, deep nesting, a body
    past the size limit, or bytes that are not UTF-8; and whether it must be refused."""
    kind = draw(st.sampled_from(["text", "text", "field", "field", "json", "deep", "huge",
                                 "bytes"]))
    texts = [k for k, v in template.items() if isinstance(v, str)]
    if kind == "text" and texts:  # one text field, with any characters, valid otherwise
        value = draw(st.one_of(TEXT, TEXT_WITH_CONTROL))
        body = {**template, draw(st.sampled_from(texts)): value}
        return json.dumps(body).encode(), has_control(value)
    return draw(_other_bodies(template, kind)), False


@st.composite
def _other_bodies(draw: Any, template: dict[str, Any], kind: str) -> bytes:
    if kind in ("field", "text"):
        body = dict(template)
        keys = list(template) + [draw(TEXT)]
        for key in draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3)):
            body[key] = draw(st.one_of(TEXT, JSON_VALUES))
        return json.dumps(body).encode()
    if kind == "json":
        return json.dumps(draw(JSON_VALUES)).encode()
    if kind == "deep":
        depth = draw(st.integers(100, 20_000))
        key = draw(st.sampled_from([*template, "x"] if template else ["x"]))
        return b"{" + json.dumps(key).encode() + b":" + b"[" * depth + b"]" * depth + b"}"
    if kind == "huge":
        key = draw(st.sampled_from([*template, "x"] if template else ["x"]))
        size = draw(st.sampled_from([2_000, 65_000, 70_000]))
        filler = draw(st.sampled_from(["a", "é", "\x00", "漢"]))
        return json.dumps({**template, key: filler * size}).encode()
    return draw(st.binary(min_size=1, max_size=200)) + b"\xff\xfe"


def _restore() -> None:
    """Switch back whatever a generated request switched (platforms, the intake pause):
    hypothesis runs every example inside one call of the test, fixtures are not reset."""
    from reconcile.services.intake.control import set_paused

    with unit_of_work() as uow:
        uow.session.execute(update(Platform).values(is_active=True))
    set_paused(False)


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_any_body_at_any_write_route_is_never_a_500_and_a_refusal_stores_nothing(
    app: Any, targets: dict[str, Any], dispatched: Any, data: Any
) -> None:
    client = app.test_client()
    method, rule = data.draw(st.sampled_from(_write_routes(app)), label="route")
    template = _templates(targets).get(rule, {})
    path = _path(rule, targets, data.draw(st.one_of(st.sampled_from(["reddit", "x"]), TEXT
                                                    .filter(lambda s: s and "/" not in s)),
                                          label="name"))
    raw, refused = data.draw(bodies(template), label="body")
    before = _counts()

    try:
        resp = client.open(path, method=method, data=raw, content_type="application/json",
                           headers=auth(targets["users"][_role(rule)]))
        after = _counts()
    finally:
        _restore()

    body = resp.get_json(silent=True) or {}
    assert resp.status_code < 500 or (resp.status_code, body.get("code")) == (503, "OVERLOADED"), (
        resp.status_code, body)
    if refused:  # text with a control character is never taken (nor stored)
        assert (resp.status_code, body.get("code")) == (422, "VALIDATION_ERROR"), body
    if resp.status_code >= 400:
        assert resp.mimetype == "application/problem+json"
        assert after == before, (method, path, resp.status_code, body)

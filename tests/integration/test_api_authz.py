"""Every route × every role: who may, who gets 403, and what stays invisible (404)."""

# ruff: noqa: E501 - the matrix reads best one route per line

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import unique
from tests.integration.apihelp import Scene, alert_about, make_scene, new_user, post_url
from tests.integration.earnings_help import (
    matrix_decision,
    matrix_payout,
    matrix_payout_read,
)
from tests.integration.tracking_help import (
    matrix_link_create,
    matrix_link_stats,
    matrix_pixel,
    matrix_postback,
    matrix_reverse,
)

ROLES = ("ADMIN", "CLIENT", "ANALYST", "AFFILIATE", None)
Make = Callable[[Scene, str | None], tuple[str, Any, str | None]]


def _fixed(path: str, body: Any = None) -> Make:
    return lambda s, role: (path.format(s=s), body(s) if callable(body) else body, None)


def _self_rotation(s: Scene, role: str | None) -> tuple[str, Any, str | None]:
    user = new_user(role or "AFFILIATE", s.client_a if role == "CLIENT" else None)
    return f"/api/v1/users/{user['id']}/api-key", None, user["api_key"] if role else None


def _fresh_alert(s: Scene, role: str | None) -> tuple[str, Any, str | None]:
    alert = alert_about(s.users["AFFILIATE"], s.campaign_a)
    return f"/api/v1/alerts/{alert}/resolve", {"note": "checked"}, None


def _fresh_other_alert(s: Scene, role: str | None) -> tuple[str, Any, str | None]:
    alert = alert_about(s.affiliate_b, s.campaign_b)
    return f"/api/v1/alerts/{alert}/resolve", {"note": "checked"}, None


def _submission(s: Scene) -> dict[str, Any]:
    return {"campaign_id": s.campaign_a, "platform": "youtube", "url": post_url("youtube"),
            "claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 0}


def _message(s: Scene) -> dict[str, Any]:
    return {"campaign_id": s.campaign_a,
            "text": f"{post_url('youtube')} views 10, clicks 1, 0 conversions"}


def _handle(s: Scene) -> dict[str, Any]:
    return {"platform": "x", "handle": unique("h").replace("-", "_")[:30]}


def _own_handle_to_verify(s: Scene, role: str | None) -> tuple[str, Any, str | None]:
    # A handle whose profile does not exist: the affiliate may ask, and hears 422.
    from reconcile.services.handles.register import add_handle
    from reconcile.services.principal import Principal

    me = s.users["AFFILIATE"]["id"]
    add_handle(Principal(me, "AFFILIATE"), me, "reddit", unique("nobody").replace("-", "_"))
    return f"/api/v1/affiliates/{me}/handles/reddit/verify", None, None


METRICS = {"claimed_views": 20, "claimed_clicks": 2, "claimed_conversions": 0}

# Expected statuses in the order ADMIN, CLIENT, ANALYST, AFFILIATE, no key.
MATRIX: list[tuple[str, str, Make, tuple[int, ...]]] = [
    ("POST", "/clients", _fixed("/api/v1/clients", lambda s: {"name": unique("c")}), (201, 403, 403, 403, 401)),
    ("GET", "/clients", _fixed("/api/v1/clients"), (200, 403, 200, 403, 401)),
    ("POST", "/users", _fixed("/api/v1/users", lambda s: {"role": "AFFILIATE", "name": "N", "email": f"{unique('u')}@example.com"}), (201, 403, 403, 403, 401)),
    ("POST", "/users/{self}/api-key", _self_rotation, (201, 201, 201, 201, 401)),
    ("POST", "/users/{other}/api-key", lambda s, r: (f"/api/v1/users/{new_user('AFFILIATE')['id']}/api-key", None, None), (201, 404, 404, 404, 401)),
    ("PATCH", "/users/{id}", lambda s, r: (f"/api/v1/users/{new_user('AFFILIATE')['id']}", {"is_active": True}, None), (200, 403, 403, 403, 401)),
    ("GET", "/platforms", _fixed("/api/v1/platforms"), (200, 200, 200, 200, 401)),
    ("GET", "/ops/slo", _fixed("/api/v1/ops/slo"), (200, 403, 200, 403, 401)),
    ("PATCH", "/platforms/{name}", _fixed("/api/v1/platforms/reddit", {"is_active": True}), (200, 403, 403, 403, 401)),
    ("POST", "/campaigns (own client)", _fixed("/api/v1/campaigns", lambda s: {"name": "n", "client_id": s.client_a, "platforms": ["x"]}), (201, 201, 403, 403, 401)),
    ("POST", "/campaigns (other client)", _fixed("/api/v1/campaigns", lambda s: {"name": "n", "client_id": s.client_b, "platforms": ["x"]}), (201, 403, 403, 403, 401)),
    ("GET", "/campaigns", _fixed("/api/v1/campaigns"), (200, 200, 200, 403, 401)),
    ("GET", "/campaigns/{own}", _fixed("/api/v1/campaigns/{s.campaign_a}"), (200, 200, 200, 403, 401)),
    ("GET", "/campaigns/{other}", _fixed("/api/v1/campaigns/{s.campaign_b}"), (200, 404, 200, 403, 401)),
    ("PATCH", "/campaigns/{own}", _fixed("/api/v1/campaigns/{s.campaign_a}", {"required_tags": []}), (200, 200, 403, 403, 401)),
    ("PATCH", "/campaigns/{other}", _fixed("/api/v1/campaigns/{s.campaign_b}", {"required_tags": []}), (200, 404, 403, 403, 401)),
    ("GET", "/campaigns/{own}/analytics", _fixed("/api/v1/campaigns/{s.campaign_a}/analytics"), (200, 200, 200, 403, 401)),
    ("GET", "/campaigns/{other}/analytics", _fixed("/api/v1/campaigns/{s.campaign_b}/analytics"), (200, 404, 200, 403, 401)),
    ("POST", "/submissions", _fixed("/api/v1/submissions", _submission), (403, 403, 403, 202, 401)),
    ("POST", "/submissions/message", _fixed("/api/v1/submissions/message", _message), (403, 403, 403, 202, 401)),
    ("GET", "/submissions", _fixed("/api/v1/submissions"), (200, 200, 200, 200, 401)),
    ("PUT", "/submissions/{own}/metrics", _fixed("/api/v1/submissions/{s.own_post}/metrics", METRICS), (403, 403, 403, 202, 401)),
    ("PUT", "/submissions/{other}/metrics", _fixed("/api/v1/submissions/{s.other_post}/metrics", METRICS), (403, 403, 403, 404, 401)),
    ("GET", "/reports/{own}", _fixed("/api/v1/reports/{s.own_report}"), (200, 200, 200, 200, 401)),
    ("GET", "/reports/{other}", _fixed("/api/v1/reports/{s.other_report}"), (200, 404, 200, 404, 401)),
    ("POST", "/reconciliation/run (own)", _fixed("/api/v1/reconciliation/run", lambda s: {"report_ids": [s.own_report]}), (202, 202, 403, 403, 401)),
    ("POST", "/reconciliation/run (other)", _fixed("/api/v1/reconciliation/run", lambda s: {"report_ids": [s.other_report]}), (202, 404, 403, 403, 401)),
    ("POST", "/reconciliation/run (other campaign)", _fixed("/api/v1/reconciliation/run", lambda s: {"campaign_id": s.campaign_b}), (202, 404, 403, 403, 401)),
    ("GET", "/reconciliation/results", _fixed("/api/v1/reconciliation/results"), (200, 200, 200, 403, 401)),
    ("GET", "/alerts", _fixed("/api/v1/alerts"), (200, 200, 200, 200, 401)),
    ("GET", "/alerts/{own}", _fixed("/api/v1/alerts/{s.own_alert}"), (200, 200, 200, 200, 401)),
    ("GET", "/alerts/{other}", _fixed("/api/v1/alerts/{s.other_alert}"), (200, 404, 200, 404, 401)),
    ("POST", "/alerts/{own}/resolve", _fresh_alert, (200, 200, 403, 403, 401)),
    ("POST", "/alerts/{other}/resolve", _fresh_other_alert, (200, 404, 403, 403, 401)),
    ("GET", "/alerts/stats", _fixed("/api/v1/alerts/stats"), (200, 403, 200, 403, 401)),
    ("GET", "/affiliates/{self}/trust", _fixed("/api/v1/affiliates/{s.users[AFFILIATE][id]}/trust"), (200, 200, 200, 200, 401)),
    ("GET", "/affiliates/{other}/trust", _fixed("/api/v1/affiliates/{s.affiliate_b[id]}/trust"), (200, 404, 200, 404, 401)),
    ("GET", "/me", _fixed("/api/v1/me"), (200, 200, 200, 200, 401)),
    ("GET", "/reconciliation/timeline", _fixed("/api/v1/reconciliation/timeline"), (200, 200, 200, 403, 401)),
    ("GET", "/reconciliation/discrepancies", _fixed("/api/v1/reconciliation/discrepancies"), (200, 200, 200, 403, 401)),
    ("GET", "/affiliates/buckets", _fixed("/api/v1/affiliates/buckets"), (200, 403, 200, 403, 401)),
    ("GET", "/alerts/open-counts", _fixed("/api/v1/alerts/open-counts"), (200, 200, 200, 403, 401)),
    ("GET", "/audit", _fixed("/api/v1/audit"), (200, 403, 200, 403, 401)),
    ("PATCH", "/campaigns/{own}", _fixed("/api/v1/campaigns/{s.campaign_a}", {"attribution_window_days": 30}), (200, 200, 403, 403, 401)),
    ("PATCH", "/campaigns/{other}", _fixed("/api/v1/campaigns/{s.campaign_b}", {"attribution_window_days": 30}), (200, 404, 403, 403, 401)),
    ("POST", "/links", matrix_link_create, (403, 403, 403, 201, 401)),
    ("GET", "/links", _fixed("/api/v1/links"), (200, 200, 200, 200, 401)),
    ("GET", "/links/{own}/stats", matrix_link_stats(True), (200, 200, 200, 200, 401)),
    ("GET", "/links/{other}/stats", matrix_link_stats(False), (200, 404, 200, 404, 401)),
    ("POST", "/postbacks (own click)", matrix_postback(True), (201, 201, 403, 403, 401)),
    ("POST", "/postbacks (other click)", matrix_postback(False), (201, 422, 403, 403, 401)),
    ("GET", "/postbacks/pixel", matrix_pixel, (201, 201, 201, 201, 201)),
    ("POST", "/postbacks/{own}/reverse", matrix_reverse(True), (200, 200, 403, 403, 401)),
    ("POST", "/postbacks/{other}/reverse", matrix_reverse(False), (200, 404, 403, 403, 401)),
    ("POST", "/clients/{own}/postback-secret", _fixed("/api/v1/clients/{s.client_a}/postback-secret"), (201, 201, 403, 403, 401)),
    ("POST", "/clients/{other}/postback-secret", _fixed("/api/v1/clients/{s.client_b}/postback-secret"), (201, 404, 403, 403, 401)),
    ("POST", "/affiliates/{self}/handles", _fixed("/api/v1/affiliates/{s.users[AFFILIATE][id]}/handles", _handle), (403, 403, 403, 201, 401)),
    ("POST", "/affiliates/{other}/handles", _fixed("/api/v1/affiliates/{s.affiliate_b[id]}/handles", _handle), (403, 403, 403, 404, 401)),
    ("GET", "/affiliates/{self}/handles", _fixed("/api/v1/affiliates/{s.users[AFFILIATE][id]}/handles"), (200, 403, 200, 200, 401)),
    ("GET", "/affiliates/{other}/handles", _fixed("/api/v1/affiliates/{s.affiliate_b[id]}/handles"), (200, 403, 200, 404, 401)),
    ("POST", "/affiliates/{self}/handles/{name}/verify", _own_handle_to_verify, (403, 403, 403, 422, 401)),
    ("POST", "/affiliates/{other}/handles/{name}/verify", _fixed("/api/v1/affiliates/{s.affiliate_b[id]}/handles/reddit/verify"), (403, 403, 403, 404, 401)),
    ("PUT", "/campaigns/{own}/rate-card", _fixed("/api/v1/campaigns/{s.campaign_a}/rate-card", {"currency": "USD", "cpm_minor": 1000}), (200, 200, 403, 403, 401)),
    ("PUT", "/campaigns/{other}/rate-card", _fixed("/api/v1/campaigns/{s.campaign_b}/rate-card", {"currency": "USD", "cpm_minor": 1000}), (200, 404, 403, 403, 401)),
    ("GET", "/campaigns/{own}/rate-card", _fixed("/api/v1/campaigns/{s.campaign_a}/rate-card"), (200, 200, 200, 200, 401)),
    ("GET", "/campaigns/{other}/rate-card", _fixed("/api/v1/campaigns/{s.campaign_b}/rate-card"), (200, 404, 200, 200, 401)),
    ("GET", "/campaigns/{own}/spend", _fixed("/api/v1/campaigns/{s.campaign_a}/spend"), (200, 200, 200, 403, 401)),
    ("GET", "/campaigns/{other}/spend", _fixed("/api/v1/campaigns/{s.campaign_b}/spend"), (200, 404, 200, 403, 401)),
    ("GET", "/affiliates/{self}/earnings", _fixed("/api/v1/affiliates/{s.users[AFFILIATE][id]}/earnings"), (200, 403, 200, 200, 401)),
    ("GET", "/affiliates/{other}/earnings", _fixed("/api/v1/affiliates/{s.affiliate_b[id]}/earnings"), (200, 403, 200, 404, 401)),
    ("GET", "/earnings/held", _fixed("/api/v1/earnings/held"), (200, 200, 200, 403, 401)),
    ("POST", "/earnings/{own}/release", matrix_decision("release", True), (200, 200, 403, 403, 401)),
    ("POST", "/earnings/{other}/release", matrix_decision("release", False), (200, 404, 403, 403, 401)),
    ("POST", "/earnings/{own}/reject", matrix_decision("reject", True), (200, 200, 403, 403, 401)),
    ("POST", "/earnings/{other}/reject", matrix_decision("reject", False), (200, 404, 403, 403, 401)),
    ("POST", "/payouts", matrix_payout, (201, 403, 403, 403, 401)),
    ("GET", "/payouts/{id}", matrix_payout_read(""), (200, 403, 200, 403, 401)),
    ("GET", "/payouts/{id}/statements.csv", matrix_payout_read("/statements.csv"), (200, 403, 200, 403, 401)),
    ("GET", "/openapi.json", _fixed("/api/v1/openapi.json"), (200, 200, 200, 200, 200)),
    ("GET", "/docs", _fixed("/api/v1/docs"), (200, 200, 200, 200, 200)),
]  # fmt: skip


@pytest.fixture(scope="module")
def scene(stack: Any, simulator: str) -> Scene:
    from reconcile.dispatch import set_dispatcher
    from tests.integration.conftest import RecordingDispatcher

    set_dispatcher(RecordingDispatcher())
    try:
        return make_scene()
    finally:
        set_dispatcher(None)


@pytest.mark.parametrize(("method", "route", "make", "expected"), MATRIX,
                         ids=[f"{m} {r}" for m, r, _, _ in MATRIX])
def test_each_role_gets_the_documented_status(
    client: Any, scene: Scene, dispatched: Any, method: str, route: str, make: Make,
    expected: tuple[int, ...],
) -> None:
    got = {}
    for role in ROLES:
        path, body, key = make(scene, role)
        headers = {"Authorization": f"Bearer {key}"} if key else scene.key(role)
        resp = client.open(path, method=method, json=body, headers=headers)
        got[role or "none"] = resp.status_code
        if resp.status_code >= 400:
            assert resp.mimetype == "application/problem+json", (role, resp.data[:200])
    assert got == dict(zip([r or "none" for r in ROLES], expected, strict=True))


def test_the_matrix_covers_every_route_but_the_ops_ones(app: Any) -> None:
    documented = {(m, r.split(" (")[0]) for m, r, _, _ in MATRIX if not r.startswith("/ops")}
    normalise = {"{self}": "{x}", "{other}": "{x}", "{own}": "{x}", "{id}": "{x}", "{name}": "{x}"}

    def shape(path: str) -> str:
        for k, v in normalise.items():
            path = path.replace(k, v)
        return path

    served = set()
    for rule in app.url_map.iter_rules():
        path = rule.rule.removeprefix("/api/v1")
        if rule.rule == path or path.startswith(("/ops", "/docs/")):
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            served.add((method, shape(re.sub(r"<(?:\w+:)?\w+>", "{x}", path))))
    assert served == {(m, shape(p)) for m, p in documented}


@pytest.mark.parametrize(("method", "route", "make", "expected"),
                         [row for row in MATRIX if row[3][4] == 401],
                         ids=[f"{m} {r}" for m, r, _, e in MATRIX if e[4] == 401])
def test_a_rotated_key_and_a_disabled_user_get_401_everywhere(
    client: Any, scene: Scene, dispatched: Any, method: str, route: str, make: Make,
    expected: tuple[int, ...],
) -> None:
    admin = {"Authorization": f"Bearer {scene.users['ADMIN']['api_key']}"}
    rotated, disabled = new_user("ADMIN"), new_user("ADMIN")
    fresh = client.post(f"/api/v1/users/{rotated['id']}/api-key", headers=admin).get_json()
    client.patch(f"/api/v1/users/{disabled['id']}", json={"is_active": False}, headers=admin)
    path, body, _ = make(scene, "ADMIN")

    for key in (rotated["api_key"], disabled["api_key"]):
        resp = client.open(path, method=method, json=body,
                           headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 401
        assert resp.get_json()["code"] == "AUTHENTICATION_REQUIRED"
    assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {fresh['api_key']}"}
                      ).status_code == 200

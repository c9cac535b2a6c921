"""Bad input, table by table: each gets its documented status and code, and no row."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.apihelp import post_url, row_counts

MiB = 1024 * 1024


def _submission(world: Any, **overrides: Any) -> dict[str, Any]:
    body = {"campaign_id": world.campaign_id, "platform": "youtube", "url": post_url(),
            "claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 0}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


# (case, overrides of a valid submission, status, code, field the problem names)
SUBMISSIONS = [
    ("string for a number", {"claimed_clicks": "1"}, 422, "VALIDATION_ERROR", "claimed_clicks"),
    ("float", {"claimed_conversions": 1.5}, 422, "VALIDATION_ERROR", "claimed_conversions"),
    ("whole float", {"claimed_views": 10.0}, 422, "VALIDATION_ERROR", "claimed_views"),
    ("boolean", {"claimed_clicks": False}, 422, "VALIDATION_ERROR", "claimed_clicks"),
    ("null", {"claimed_views": None}, 422, "VALIDATION_ERROR", "claimed_views"),
    ("negative", {"claimed_conversions": -5}, 422, "VALIDATION_ERROR", "claimed_conversions"),
    ("over 10^12", {"claimed_views": 10**12 + 1}, 422, "VALIDATION_ERROR", "claimed_views"),
    ("huge", {"claimed_views": 10**30}, 422, "VALIDATION_ERROR", "claimed_views"),
    ("unknown field", {"bonus": 1}, 422, "VALIDATION_ERROR", "bonus"),
    ("missing field", {"claimed_clicks": ...}, 422, "VALIDATION_ERROR", "claimed_clicks"),
    ("missing url", {"url": ...}, 422, "VALIDATION_ERROR", "url"),
    ("campaign as string", {"campaign_id": "1"}, 422, "VALIDATION_ERROR", "campaign_id"),
    ("campaign zero", {"campaign_id": 0}, 422, "VALIDATION_ERROR", "campaign_id"),
    ("non-http url", {"url": "javascript:alert(1)"}, 422, "VALIDATION_ERROR", "url"),
    ("ftp url", {"url": "ftp://www.youtube.com/watch?v=abcdefghijk"}, 422, "VALIDATION_ERROR",
     "url"),
    ("url over 2048", {"url": "https://youtu.be/abcdefghijk?" + "a" * 2050}, 422,
     "VALIDATION_ERROR", "url"),
    ("host of another platform", {"url": post_url("tiktok")}, 422, "VALIDATION_ERROR", "url"),
    ("unknown platform", {"platform": "myspace"}, 422, "VALIDATION_ERROR", "platform"),
    ("title too long", {"title": "t" * 501}, 422, "VALIDATION_ERROR", "title"),
    ("evidence too long", {"evidence": "e" * 2049}, 422, "VALIDATION_ERROR", "evidence"),
    ("missing campaign", {"campaign_id": 2**61}, 404, "NOT_FOUND", None),
]


@pytest.mark.parametrize(("case", "overrides", "status", "code", "field"), SUBMISSIONS,
                         ids=[c[0] for c in SUBMISSIONS])
def test_a_bad_submission_gets_its_status_and_code_and_stores_nothing(
    client: Any, world: Any, dispatched: Any, case: str, overrides: dict[str, Any], status: int,
    code: str, field: str | None,
) -> None:
    before = row_counts()

    resp = client.post("/api/v1/submissions", json=_submission(world, **overrides),
                       headers=world.auth(world.affiliate))

    assert (resp.status_code, resp.get_json()["code"]) == (status, code)
    assert resp.mimetype == "application/problem+json"
    if field:
        assert any(e["field"].startswith(field) for e in resp.get_json()["errors"])
    assert row_counts() == before
    assert dispatched.sent == []


# (case, raw body, content type, status, code)
RAW = [
    ("not JSON", b"{claimed_views: 1", "application/json", 400, "MALFORMED_REQUEST"),
    ("a JSON list", b"[1, 2]", "application/json", 422, "VALIDATION_ERROR"),
    ("a JSON string", b'"hello"', "application/json", 422, "VALIDATION_ERROR"),
    ("empty body", b"", "application/json", 400, "MALFORMED_REQUEST"),
    ("wrong content type", b'{"a": 1}', "text/plain", 400, "MALFORMED_REQUEST"),
    ("form data", b"a=1", "application/x-www-form-urlencoded", 400, "MALFORMED_REQUEST"),
    ("1 MiB body", b'{"title": "' + b"x" * MiB + b'"}', "application/json", 400,
     "MALFORMED_REQUEST"),
    ("invalid UTF-8", b'{"title": "\xff\xfe"}', "application/json", 400, "MALFORMED_REQUEST"),
]


@pytest.mark.parametrize(("case", "data", "content_type", "status", "code"), RAW,
                         ids=[c[0] for c in RAW])
@pytest.mark.parametrize("path", ["/api/v1/submissions", "/api/v1/submissions/message",
                                  "/api/v1/reconciliation/run", "/api/v1/clients"])
def test_a_malformed_body_gets_its_status_on_every_write_route(
    client: Any, world: Any, dispatched: Any, case: str, data: bytes, content_type: str,
    status: int, code: str, path: str,
) -> None:
    before = row_counts()
    role = world.affiliate if "submissions" in path else world.admin

    resp = client.post(path, data=data, content_type=content_type, headers=world.auth(role))

    assert (resp.status_code, resp.get_json()["code"]) == (status, code), resp.get_json()
    assert row_counts() == before


# (case, body, field)
RERUNS = [
    ("no scope", {"force": True}, "body"),
    ("two scopes", {"post_id": 1, "campaign_id": 1}, "body"),
    ("empty id list", {"report_ids": []}, "report_ids"),
    ("501 ids", {"report_ids": list(range(1, 502))}, "report_ids"),
    ("string ids", {"report_ids": ["1"]}, "report_ids"),
    ("force as string", {"post_id": 1, "force": "yes"}, "force"),
    ("unknown platform", {"platform": "myspace"}, "platform"),
    ("unknown field", {"post_id": 1, "everything": True}, "everything"),
]


@pytest.mark.parametrize(("case", "body", "field"), RERUNS, ids=[c[0] for c in RERUNS])
def test_a_bad_rerun_request_is_422_and_sends_nothing(
    client: Any, world: Any, dispatched: Any, case: str, body: dict[str, Any], field: str
) -> None:
    resp = client.post("/api/v1/reconciliation/run", json=body, headers=world.auth(world.admin))

    assert resp.status_code == 422
    assert any(e["field"].startswith(field) for e in resp.get_json()["errors"]), resp.get_json()
    assert dispatched.sent == []


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": 5}, {"note": "n" * 2001},
                                  {"note": "ok", "extra": 1}])
def test_a_bad_resolve_body_is_422(client: Any, world: Any, body: dict[str, Any]) -> None:
    resp = client.post("/api/v1/alerts/1/resolve", json=body, headers=world.auth(world.admin))

    assert resp.status_code == 422


@pytest.mark.parametrize("path", ["/api/v1/reports/99999999999999999999999",
                                  "/api/v1/alerts/-1", "/api/v1/campaigns/0/analytics",
                                  "/api/v1/campaigns/abc", "/api/v1/nowhere"])
def test_an_impossible_id_or_path_is_a_404_not_a_crash(client: Any, world: Any,
                                                       path: str) -> None:
    resp = client.get(path, headers=world.auth(world.admin))

    assert resp.status_code == 404
    assert resp.get_json()["code"] == "NOT_FOUND"


def test_a_wrong_method_is_405_naming_the_allowed_ones(client: Any, world: Any) -> None:
    resp = client.delete("/api/v1/alerts/stats", headers=world.auth(world.admin))

    assert resp.status_code == 405
    assert "GET" in resp.headers["Allow"]
    assert json.loads(resp.data)["code"] == "METHOD_NOT_ALLOWED"

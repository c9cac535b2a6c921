"""The API's conventions on the real database: auth, roles, validation, problem+json."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import unique, unique_video_id


def _counts() -> tuple[int, int, int]:
    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Post, ReconciliationLog, Report

    with unit_of_work() as uow:
        s = uow.session
        return tuple(
            s.scalar(select(func.count()).select_from(m))  # type: ignore[return-value]
            for m in (Post, Report, ReconciliationLog)
        )


def _body(world: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "campaign_id": world.campaign_id,
        "platform": "youtube",
        "url": f"https://youtu.be/{unique_video_id()}",
        "claimed_views": 10,
        "claimed_clicks": 1,
        "claimed_conversions": 0,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"claimed_views": "10"}, "claimed_views"),
        ({"claimed_views": 10.0}, "claimed_views"),
        ({"claimed_views": True}, "claimed_views"),
        ({"claimed_views": -1}, "claimed_views"),
        ({"claimed_views": 10**12 + 1}, "claimed_views"),
        ({"claimed_views": ...}, "claimed_views"),
        ({"surprise": 1}, "surprise"),
        ({"url": "ftp://youtube.com/watch?v=abcdefghijk"}, "url"),
        ({"url": "https://www.reddit.com/comments/abc123"}, "url"),
        ({"url": "https://www.youtube.com/"}, "url"),
        ({"platform": "myspace"}, "platform"),
    ],
)
def test_bad_submissions_get_422_naming_the_field_and_store_nothing(
    client: Any, world: Any, overrides: dict, field: str
) -> None:
    before = _counts()

    resp = client.post(
        "/api/v1/submissions", json=_body(world, **overrides), headers=world.auth(world.affiliate)
    )

    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    assert _counts() == before


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("not json", "application/json"),
        ('{"a": 1}', "text/plain"),
        ("x" * (70 * 1024), "application/json"),
    ],
)
def test_malformed_bodies_get_400(client: Any, world: Any, data: str, content_type: str) -> None:
    resp = client.post(
        "/api/v1/submissions",
        data=data,
        content_type=content_type,
        headers=world.auth(world.affiliate),
    )

    assert resp.status_code == 400
    assert resp.get_json()["code"] == "MALFORMED_REQUEST"


def test_a_missing_or_unknown_key_is_401_and_a_wrong_role_403(client: Any, world: Any) -> None:
    assert client.get("/api/v1/campaigns").status_code == 401
    bad = client.get("/api/v1/campaigns", headers={"Authorization": "Bearer rk_nope"})
    assert bad.status_code == 401
    assert bad.get_json()["code"] == "AUTHENTICATION_REQUIRED"
    forbidden = client.post(
        "/api/v1/clients", json={"name": "x"}, headers=world.auth(world.analyst)
    )
    assert forbidden.status_code == 403
    assert forbidden.get_json()["code"] == "FORBIDDEN"


def test_a_client_cannot_see_another_clients_campaign(client: Any, world: Any) -> None:
    other = client.post(
        "/api/v1/clients", json={"name": unique("other")}, headers=world.auth(world.admin)
    ).get_json()
    campaign = client.post(
        "/api/v1/campaigns",
        json={"name": "theirs", "client_id": other["id"], "platforms": ["x"]},
        headers=world.auth(world.admin),
    ).get_json()

    resp = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=world.auth(world.advertiser))

    assert resp.status_code == 404
    own = client.get(f"/api/v1/campaigns/{world.campaign_id}", headers=world.auth(world.advertiser))
    assert own.status_code == 200


def test_a_second_submission_of_the_same_post_is_409(client: Any, world: Any) -> None:
    body = _body(world, url=f"https://youtu.be/{unique_video_id()}")
    first = client.post("/api/v1/submissions", json=body, headers=world.auth(world.affiliate))
    again = client.post("/api/v1/submissions", json=body, headers=world.auth(world.affiliate))

    assert first.status_code == 202
    assert again.status_code == 409
    assert again.get_json()["code"] == "DUPLICATE_SUBMISSION"


def test_another_affiliate_claiming_the_same_url_is_flagged_high(client: Any, world: Any) -> None:
    body = _body(world, url=f"https://youtu.be/{unique_video_id()}")
    client.post("/api/v1/submissions", json=body, headers=world.auth(world.affiliate))

    second = client.post(
        "/api/v1/submissions", json=body, headers=world.auth(world.new_affiliate())
    )

    assert second.status_code == 202
    flags = second.get_json()["suspicion_flags"]
    assert {"name": "duplicate_claim", "severity": "HIGH"}.items() <= flags[0].items()
    assert second.get_json()["priority"] == "high"


def test_a_disabled_platform_refuses_submissions_with_409(client: Any, world: Any) -> None:
    admin = world.auth(world.admin)
    assert (
        client.patch(
            "/api/v1/platforms/tiktok", json={"is_active": False}, headers=admin
        ).status_code
        == 200
    )
    try:
        resp = client.post(
            "/api/v1/submissions",
            json=_body(
                world,
                platform="tiktok",
                url="https://www.tiktok.com/@someone/video/7234567890123456789",
            ),
            headers=world.auth(world.affiliate),
        )
        assert resp.status_code == 409
        assert resp.get_json()["code"] == "PLATFORM_DISABLED"
    finally:
        client.patch("/api/v1/platforms/tiktok", json={"is_active": True}, headers=admin)


def test_every_response_carries_a_request_id(client: Any) -> None:
    assert client.get("/healthz").headers["X-Request-ID"]
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"


def test_readyz_answers_200_when_database_and_broker_are_up(client: Any) -> None:
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    "query",
    ["since=5000-04-16T15:54:41Z&until=2985-03-12T04:19:12%2B20:03",
     "until=0001-01-01T00:00:00-05:00"],
)
def test_odd_but_valid_times_in_a_filter_never_look_like_an_outage(
    client: Any, world: Any, query: str
) -> None:
    resp = client.get(f"/api/v1/reconciliation/results?{query}", headers=world.auth(world.admin))

    assert resp.status_code in (200, 422), resp.get_json()

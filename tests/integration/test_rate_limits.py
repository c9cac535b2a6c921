"""Per-key rate limits in Redis: headers on every response, 429 with Retry-After."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import update

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import User
from reconcile.rules import load_rules
from tests.conftest import ROOT
from tests.integration.apihelp import auth, new_user, post_url

LIMITS = {"submissions_per_hour": 20, "reruns_per_minute": 3, "default_per_hour": 6,
          "critical_divisor": 10}


@pytest.fixture(scope="module")
def limited(stack: Any, simulator: str) -> Any:
    """Two API processes' worth of apps with low limits (they share only Redis)."""
    from api import create_app

    return [create_app({"TESTING": True, "RATE_LIMITS": LIMITS}) for _ in range(2)]


def _submission(world: Any) -> dict[str, Any]:
    return {"campaign_id": world.campaign_id, "platform": "youtube", "url": post_url(),
            "claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 0}


def test_the_shipped_defaults_are_the_documented_ones() -> None:
    rules = load_rules(ROOT / "reconcile" / "rules" / "defaults.toml").rate_limits

    assert (rules.submissions_per_hour, rules.reruns_per_minute, rules.default_per_hour,
            rules.critical_divisor) == (100, 10, 1000, 10)


def test_every_api_response_carries_the_quota_headers(client: Any, world: Any) -> None:
    for resp in (client.get("/api/v1/campaigns", headers=world.auth(world.admin)),
                 client.get("/api/v1/campaigns", headers=world.auth(world.affiliate)),
                 client.get("/api/v1/campaigns"),
                 client.get("/api/v1/openapi.json"),
                 client.get("/api/v1/nowhere")):
        assert int(resp.headers["X-RateLimit-Limit"]) > 0, resp.status_code
        assert 0 <= int(resp.headers["X-RateLimit-Remaining"]) < int(
            resp.headers["X-RateLimit-Limit"])
        assert 0 <= int(resp.headers["X-RateLimit-Reset"]) <= 3600


def test_the_limit_is_shared_by_processes_and_then_429_with_retry_after(
    limited: Any, world: Any
) -> None:
    one, two = (app.test_client() for app in limited)
    admin = world.auth(world.admin)
    answers = [(one if i % 2 else two).get("/api/v1/campaigns", headers=admin)
               for i in range(LIMITS["default_per_hour"] + 1)]

    assert [a.status_code for a in answers[:-1]] == [200] * LIMITS["default_per_hour"]
    assert [int(a.headers["X-RateLimit-Remaining"]) for a in answers[:3]] == [5, 4, 3]
    refused = answers[-1]
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    other = one.get("/api/v1/campaigns", headers=auth(new_user("ADMIN")))
    assert other.status_code == 200  # the count is per key


def test_rotating_the_key_does_not_reset_the_count(limited: Any, world: Any) -> None:
    client = limited[0].test_client()
    user = new_user("ANALYST")
    for _ in range(LIMITS["default_per_hour"]):
        client.get("/api/v1/campaigns", headers=auth(user))
    rotated = client.post(f"/api/v1/users/{user['id']}/api-key", headers=auth(user))

    assert rotated.status_code == 429


@pytest.mark.parametrize(("bucket_score", "allowed"), [(0.50, 20), (0.10, 2)])
def test_submissions_are_limited_per_hour_and_critical_affiliates_get_a_tenth(
    limited: Any, world: Any, dispatched: Any, bucket_score: float, allowed: int
) -> None:
    client = limited[0].test_client()
    affiliate = world.new_affiliate()
    with unit_of_work() as uow:
        uow.session.execute(update(User).where(User.id == affiliate["id"])
                            .values(trust_score=bucket_score))

    answers = [client.post("/api/v1/submissions", json=_submission(world),
                           headers=auth(affiliate)).status_code for _ in range(allowed + 1)]

    assert answers == [202] * allowed + [429]
    assert len(dispatched.sent) == allowed


def test_reruns_are_limited_per_minute(limited: Any, world: Any, dispatched: Any) -> None:
    client = limited[0].test_client()
    body = {"campaign_id": world.campaign_id}
    answers = [client.post("/api/v1/reconciliation/run", json=body,
                           headers=world.auth(world.admin)) for _ in range(4)]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert int(answers[-1].headers["Retry-After"]) <= 60
    # Re-runs have their own bucket: other reads still pass.
    assert client.get("/api/v1/alerts", headers=world.auth(world.admin)).status_code == 200


def test_requests_without_a_valid_key_are_counted_per_address(limited: Any) -> None:
    address = f"127.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"
    client = limited[0].test_client()
    env = {"REMOTE_ADDR": address}
    answers = [client.get("/api/v1/alerts", headers=auth("rk_guess"), environ_base=env)
               for _ in range(LIMITS["default_per_hour"] + 1)]

    assert [a.status_code for a in answers] == [401] * LIMITS["default_per_hour"] + [429]
    assert client.get("/api/v1/openapi.json", environ_base=env).status_code == 429
    elsewhere = {"REMOTE_ADDR": f"{address[:-1]}8"}
    assert client.get("/api/v1/openapi.json", environ_base=elsewhere).status_code == 200

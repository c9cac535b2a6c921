"""Backpressure and the intake switch: 503s that store nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Report
from tests.conftest import unique_video_id


def _reports() -> int:
    with unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Report)))


def _submit(client: Any, world: Any) -> Any:
    return client.post(
        "/api/v1/submissions",
        json={"campaign_id": world.campaign_id, "platform": "youtube",
              "url": f"https://youtu.be/{unique_video_id()}", "claimed_views": 10,
              "claimed_clicks": 1, "claimed_conversions": 0},
        headers=world.auth(world.affiliate),
    )


@pytest.fixture
def paused_intake(client: Any, world: Any) -> Any:
    resp = client.post("/api/v1/ops/intake", json={"paused": True},
                       headers=world.auth(world.admin))
    assert resp.status_code == 200
    yield
    client.post("/api/v1/ops/intake", json={"paused": False}, headers=world.auth(world.admin))


def test_a_paused_intake_answers_503_with_retry_after_and_stores_nothing(
    client: Any, world: Any, paused_intake: Any
) -> None:
    before = _reports()

    resp = _submit(client, world)

    assert resp.status_code == 503
    assert resp.get_json()["code"] == "INTAKE_PAUSED"
    assert int(resp.headers["Retry-After"]) > 0
    assert _reports() == before


def test_resuming_the_intake_accepts_submissions_again(client: Any, world: Any) -> None:
    admin = world.auth(world.admin)
    client.post("/api/v1/ops/intake", json={"paused": True}, headers=admin)
    client.post("/api/v1/ops/intake", json={"paused": False}, headers=admin)

    assert _submit(client, world).status_code == 202


def test_only_an_admin_may_pause_the_intake(client: Any, world: Any) -> None:
    for user in (world.analyst, world.advertiser, world.affiliate):
        resp = client.post("/api/v1/ops/intake", json={"paused": True}, headers=world.auth(user))
        assert resp.status_code == 403


def test_more_ready_jobs_than_the_limit_answers_503_overloaded(
    client: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconcile.bootstrap import use_rules
    from reconcile.locks import redis_client
    from reconcile.rules import rules_from_mapping
    from reconcile.services.intake import control as intake
    from reconcile.vocabulary import QUEUES

    # A queue no worker consumes stands in for a backlog; the limit counts every queue.
    monkeypatch.setattr(intake, "DEPTH_QUEUES", (*QUEUES, "backlog-test"))
    use_rules(rules_from_mapping({"intake": {"max_queue_depth": 3}}))
    client_ = redis_client()
    client_.delete("backlog-test")
    client_.lpush("backlog-test", *[b"{}"] * 4)
    try:
        before = _reports()
        resp = _submit(client, world)
        assert resp.status_code == 503
        assert resp.get_json()["code"] == "OVERLOADED"
        assert _reports() == before
    finally:
        use_rules(None)
        client_.delete("backlog-test")


def test_ops_queues_reports_depths_and_scheduled_retries(client: Any, world: Any) -> None:
    resp = client.get("/api/v1/ops/queues", headers=world.auth(world.analyst))

    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body["queues"]) == {"high", "normal", "low"}
    assert all(isinstance(v, int) and v >= 0 for v in body["queues"].values())
    assert isinstance(body["scheduled"], int)

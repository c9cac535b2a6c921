"""The whole path: HTTP submission → PostgreSQL → Celery on Redis → worker process →
platform API over HTTP → classification → outcome readable over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import unique_video_id, wait_for

DEADLINE = 20.0


def _submit(client: Any, world: Any, user: dict, url: str, claim: tuple[int, int, int]) -> Any:
    views, clicks, conversions = claim
    return client.post(
        "/api/v1/submissions",
        json={
            "campaign_id": world.campaign_id,
            "platform": "youtube",
            "url": url,
            "claimed_views": views,
            "claimed_clicks": clicks,
            "claimed_conversions": conversions,
        },
        headers=world.auth(user),
    )


def _outcome(client: Any, world: Any, user: dict, report_id: int) -> dict:
    def reconciled() -> dict | None:
        body = client.get(f"/api/v1/reports/{report_id}", headers=world.auth(user)).get_json()
        return body if body["reconciliation"]["status"] != "PENDING" else None

    return wait_for(reconciled, DEADLINE, what=f"report {report_id} to be reconciled")


@pytest.mark.parametrize(
    ("claim", "status", "level", "trust"),
    [
        ((1600, 50, 5), "AFFILIATE_OVERCLAIMED", "CRITICAL", 0.40),
        ((1000, 50, 5), "MATCHED", None, 0.51),
    ],
)
def test_a_submission_is_reconciled_against_the_platform_by_a_worker(
    client: Any,
    world: Any,
    sim: Any,
    workers: Any,
    claim: tuple,
    status: str,
    level: str | None,
    trust: float,
) -> None:
    url = f"https://www.youtube.com/watch?v={unique_video_id()}"
    sim.post("youtube", url, 1000, 50, 5)
    affiliate = world.new_affiliate()

    accepted = _submit(client, world, affiliate, url, claim)

    assert accepted.status_code == 202, accepted.get_json()
    body = accepted.get_json()
    assert body["status"] == "PENDING"
    report = _outcome(client, world, affiliate, body["report_id"])
    rec = report["reconciliation"]
    assert (rec["status"], rec["discrepancy_level"]) == (status, level)
    assert rec["attempt_count"] == 1
    assert report["snapshots"][0]["views"] == 1000
    trust_now = _trust(affiliate["id"])
    assert trust_now == pytest.approx(trust)


def _trust(user_id: int) -> float:
    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import User

    with unit_of_work() as uow:
        return uow.session.get(User, user_id).trust_score


def test_a_critical_overclaim_raises_a_fraud_alert(
    client: Any, world: Any, sim: Any, workers: Any
) -> None:
    url = f"https://youtu.be/{unique_video_id()}"
    sim.post("youtube", url, 1000, 50, 5)

    accepted = _submit(client, world, world.affiliate, url, (1600, 50, 5)).get_json()
    report = _outcome(client, world, world.affiliate, accepted["report_id"])

    assert [(a["type"], a["severity"]) for a in report["alerts"]] == [
        ("HIGH_DISCREPANCY", "CRITICAL")
    ]


def test_missing_metrics_leave_the_report_incomplete_with_a_retry_scheduled(
    client: Any, world: Any, sim: Any, workers: Any
) -> None:
    # Clicks from X's own link clicks, no conversions source: views and clicks take part.
    made = client.post("/api/v1/campaigns", json={
        "name": "link clicks", "client_id": world.client_id, "platforms": ["x"],
        "sources": {"clicks": "platform", "conversions": "none"}},
        headers=world.auth(world.advertiser))
    assert made.status_code == 201, made.get_json()
    url = f"https://x.com/someone/status/{uuid.uuid4().int % 10**18}"
    sim.post("x", url, 1000, link_clicks=50, omit=["views"])

    accepted = client.post("/api/v1/submissions", json={
        "campaign_id": made.get_json()["id"], "platform": "x", "url": url,
        "claimed_views": 1000, "claimed_clicks": 50, "claimed_conversions": 5},
        headers=world.auth(world.affiliate)).get_json()
    rec = _outcome(client, world, world.affiliate, accepted["report_id"])["reconciliation"]

    assert rec["status"] == "INCOMPLETE_PLATFORM_DATA"
    assert rec["confidence_ratio"] == pytest.approx(0.5)  # of the two verifiable metrics
    assert rec["missing_fields"] == ["views"]
    assert rec["metrics"]["clicks"]["source"] == "platform"
    assert rec["metrics"]["conversions"] == {"claimed": 5, "observed": None,
                                             "difference": None, "pct": None,
                                             "source": "none", "verifiable": False}
    assert rec["scheduled_retry_at"] is not None
    assert [f["name"] for f in accepted["suspicion_flags"]] == ["unverifiable_claim"]

"""The dashboard's read routes: who am I, the hourly timeline, the discrepancy histogram,
trust buckets and open alerts, each narrowed to what the caller may see."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Attempt
from reconcile.services.admin.accounts import create_client
from tests.conftest import unique
from tests.integration.apihelp import auth, new_campaign, new_user, post_url, submit_as
from tests.integration.conftest import World

TRUTH = (1000, 50, 5)
# Claimed views against 1,000 real ones → the histogram bin (upper edge inclusive) of
# docs/dashboard.md: 0–5 %, 5–10 %, 10–20 %, 20–50 %, 50–100 %, > 100 %.
CLAIMS_AND_BINS = [(1000, 0), (1080, 1), (1150, 2), (1400, 3), (2000, 4), (8000, 5)]


def _reconciled(sim: Any, affiliate: dict[str, Any], campaign_id: int, views: int) -> int:
    from reconcile.services.reconciliation.attempts import Job, run_attempt

    url = post_url("youtube")
    sim.post("youtube", url, *TRUTH)
    report_id = int(submit_as(affiliate, campaign_id, "youtube", url,
                              (views, *TRUTH[1:]))["report_id"])
    run_attempt(Job(report_id, 1))
    return report_id


def test_me_names_the_caller_and_its_client(client: Any, world: World) -> None:
    me = client.get("/api/v1/me", headers=world.auth(world.advertiser)).get_json()

    assert me == {"id": world.advertiser["id"], "name": "Advertiser", "role": "CLIENT",
                  "client_id": world.client_id}


def test_the_histogram_bins_each_report_by_its_worst_discrepancy(
    client: Any, world: World, sim: Any, dispatched: Any,
) -> None:
    for views, _ in CLAIMS_AND_BINS:
        _reconciled(sim, world.new_affiliate(), world.campaign_id, views)

    body = client.get(f"/api/v1/reconciliation/discrepancies?campaign_id={world.campaign_id}",
                      headers=world.auth(world.advertiser)).get_json()

    expected = [0] * 6
    for _, index in CLAIMS_AND_BINS:
        expected[index] += 1
    assert [b["count"] for b in body["bins"]] == expected
    assert body["total"] == len(CLAIMS_AND_BINS)


def test_a_client_counts_only_its_own_campaigns_attempts_in_their_utc_hour(
    client: Any, world: World, sim: Any, dispatched: Any,
) -> None:
    own = _reconciled(sim, world.affiliate, world.campaign_id, TRUTH[0])
    colleague = new_user("CLIENT", world.client_id)  # same client: sees the same
    stranger = new_user("CLIENT", create_client(unique("other"))["id"])
    with unit_of_work() as uow:
        finished = uow.session.scalar(select(Attempt.finished_at).where(Attempt.report_id == own))
    utc = finished.astimezone(UTC) if finished.tzinfo else finished  # SQLite: naive UTC
    hour = utc.strftime("%Y-%m-%dT%H:00:00")

    def in_hour(user: dict[str, Any]) -> dict[str, int]:
        body = client.get("/api/v1/reconciliation/timeline?hours=2",
                          headers=auth(user)).get_json()
        return next(h["by_status"] for h in body["hours"] if h["hour"].startswith(hour))

    assert in_hour(world.advertiser) == {"MATCHED": 1}
    assert in_hour(colleague) == {"MATCHED": 1}
    assert in_hour(stranger) == {}
    assert in_hour(world.admin)["MATCHED"] >= 1


@pytest.mark.parametrize("hours", ["0", "169", "x"])
def test_a_timeline_outside_one_hour_to_a_week_is_refused(
    client: Any, world: World, hours: str,
) -> None:
    resp = client.get(f"/api/v1/reconciliation/timeline?hours={hours}",
                      headers=world.auth(world.analyst))

    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "hours"


def test_a_new_affiliate_joins_the_normal_bucket(client: Any, world: World) -> None:
    before = client.get("/api/v1/affiliates/buckets", headers=world.auth(world.analyst)).get_json()
    world.new_affiliate()
    after = client.get("/api/v1/affiliates/buckets", headers=world.auth(world.analyst)).get_json()

    assert after["buckets"]["normal"] == before["buckets"]["normal"] + 1
    assert after["total"] == before["total"] + 1


def test_open_alert_counts_follow_what_the_caller_may_see(
    client: Any, world: World, sim: Any, dispatched: Any,
) -> None:
    _reconciled(sim, world.affiliate, world.campaign_id, 8000)  # a critical over-claim
    elsewhere = new_campaign(create_client(unique("else"))["id"])
    _reconciled(sim, world.new_affiliate(), elsewhere, 8000)

    mine = client.get("/api/v1/alerts/open-counts", headers=world.auth(world.advertiser))
    everyone = client.get("/api/v1/alerts/open-counts", headers=world.auth(world.analyst))

    assert mine.get_json()["by_severity"] == {"LOW": 0, "MEDIUM": 0, "HIGH": 0, "CRITICAL": 1}
    assert everyone.get_json()["by_severity"]["CRITICAL"] >= 2

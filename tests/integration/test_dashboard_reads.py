"""The dashboard's read routes: who am I, the hourly timeline, the discrepancy histogram,
trust buckets and open alerts, each narrowed to what the caller may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Attempt, Post, Report
from reconcile.services.admin.accounts import create_client
from reconcile.services.principal import Principal
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


# The timeline's window: the 24 hours before NOW (far from any other test's attempts). Its
# first hour starts before the window does; attempts just outside, on and inside each edge.
NOW = datetime(2030, 5, 6, 12, 30, tzinfo=UTC)
FINISHED = [NOW - timedelta(hours=24, seconds=1), NOW - timedelta(hours=24),
            NOW - timedelta(hours=23, minutes=31), NOW - timedelta(hours=23, minutes=30),
            NOW - timedelta(hours=23, minutes=29, seconds=59), NOW - timedelta(hours=12),
            NOW - timedelta(seconds=1), NOW, NOW + timedelta(minutes=5)]
STATUSES = ("MATCHED", "DISCREPANCY_HIGH", "MISSING_PLATFORM_DATA")


def _plain_timeline(principal: Principal, campaign_id: int | None,
                    since: datetime) -> dict[str, dict[str, int]]:
    """Attempts by UTC hour and status, counted one by one from the attempts the caller may
    see (what the timeline counted before migration 0018)."""
    from reconcile.services.access import own_campaigns

    with unit_of_work() as uow:
        s = uow.session
        own = set(s.scalars(own_campaigns(principal))) if principal.role == "CLIENT" else None
        rows = s.execute(select(Attempt.finished_at, Attempt.status, Post.campaign_id,
                                Post.affiliate_id)
                         .join(Report, Report.id == Attempt.report_id)
                         .join(Post, Post.id == Report.post_id)).all()
    found: dict[str, dict[str, int]] = {}
    for finished, status, campaign, affiliate in rows:
        utc = finished.astimezone(UTC) if finished.tzinfo else finished.replace(tzinfo=UTC)
        if (utc < since or (campaign_id is not None and campaign != campaign_id)
                or (own is not None and campaign not in own)
                or (principal.role == "AFFILIATE" and affiliate != principal.user_id)):
            continue
        counts = found.setdefault(utc.strftime("%Y-%m-%dT%H:00:00"), {})
        counts[status] = counts.get(status, 0) + 1
    return found


def test_the_timeline_from_running_counts_equals_counting_each_attempt(
    world: World, sim: Any, dispatched: Any,
) -> None:
    """Whoever asks, about all it sees or one campaign, before and after beat's fold: the
    hours from the hourly counts (migration 0018) and the partial first hour from its
    attempts come to what counting every attempt of the window gives."""
    from reconcile.persistence import tallies
    from reconcile.persistence.db import get_engine
    from reconcile.services.reads.dashboard import status_timeline

    other_client = create_client(unique("other"))["id"]
    other_campaign = new_campaign(other_client)
    stranger = world.new_affiliate()
    reports = [_reconciled(sim, world.affiliate, world.campaign_id, TRUTH[0]),
               _reconciled(sim, stranger, world.campaign_id, TRUTH[0]),
               _reconciled(sim, world.affiliate, other_campaign, TRUTH[0])]
    added = []
    with unit_of_work() as uow:
        for k, finished in enumerate(FINISHED):
            for j, report in enumerate(reports):
                attempt = Attempt(report_id=report, attempt_number=100 + k,
                                  status=STATUSES[(k + j) % len(STATUSES)],
                                  confidence_ratio=1.0, rules_version="v1",
                                  started_at=finished, finished_at=finished)
                uow.session.add(attempt)
                uow.session.flush()
                added.append(attempt.id)
    callers = [Principal(world.admin["id"], "ADMIN"),
               Principal(world.advertiser["id"], "CLIENT", world.client_id),
               Principal(new_user("CLIENT", other_client)["id"], "CLIENT", other_client),
               Principal(world.affiliate["id"], "AFFILIATE"),
               Principal(stranger["id"], "AFFILIATE")]
    try:
        for fold in (False, True):
            if fold:
                with get_engine().begin() as conn:
                    tallies.compact(conn)
            for caller in callers:
                for campaign in (None, world.campaign_id, other_campaign):
                    view = status_timeline(caller, 24, campaign, now=NOW)
                    expected = _plain_timeline(caller, campaign, NOW - timedelta(hours=24))
                    assert len(view["hours"]) == 25
                    assert {h["hour"][:19]: h["by_status"] for h in view["hours"]
                            if h["by_status"]} == {
                        hour: counts for hour, counts in expected.items()
                        if hour < (NOW + timedelta(hours=1)).strftime("%Y-%m-%dT%H")}
                    assert view["by_status"] == _totals(expected.values())
        mine = status_timeline(callers[3], 24, None, now=NOW)["by_status"]
        assert sum(mine.values()) == 2 * (len(FINISHED) - 1)  # one outside the window
    finally:
        with unit_of_work() as uow:
            uow.session.execute(delete(Attempt).where(Attempt.id.in_(added)))


def _totals(hours: Any) -> dict[str, int]:
    totals: dict[str, int] = {}
    for counts in hours:
        for status, n in counts.items():
            totals[status] = totals.get(status, 0) + n
    return dict(sorted(totals.items()))

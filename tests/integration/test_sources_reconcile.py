"""Reconciliation reads each metric from its own source: views from the platform (over HTTP
from the simulator), clicks from the tracked link or the platform's link clicks, conversions
from postbacks (through the count functions passed in, as the tracking package serves them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import ReconciliationLog, Snapshot
from reconcile.rules.sources import Sources, metric_sources
from reconcile.services.admin.accounts import create_client
from reconcile.services.admin.campaigns import create_campaign
from reconcile.services.intake.submissions import Claim, submit
from reconcile.services.principal import SYSTEM, Principal
from reconcile.services.reads.reports import get_report
from reconcile.services.reconciliation.attempts import Job, run_attempts
from reconcile.vocabulary import Role
from tests.conftest import unique, unique_post_url
from tests.integration.tracking_fake import FakeTracking


def _campaign(platforms: list[str], clicks: str = "tracked",
              conversions: str = "postback") -> int:
    client_id = create_client(unique("client"))["id"]
    return int(create_campaign(SYSTEM, name=unique("campaign"), client_id=client_id,
                               platforms=platforms, sources=Sources(clicks, conversions),
                               landing_url="https://shop.example.com/sources")["id"])


def _submit(world: Any, campaign_id: int, platform: str, claim: tuple[int, int, int],
            shown: dict[str, Any]) -> dict[str, Any]:
    url = unique_post_url(platform)
    body = {"platform": platform, "url": url, **shown}
    requests.put(f"{world_sim(world)}/_sim/posts", json=body, timeout=5).raise_for_status()
    return submit(Principal(world.affiliate["id"], Role.AFFILIATE), campaign_id=campaign_id,
                  platform=platform, url=url, claim=Claim(*claim))


def world_sim(world: Any) -> str:
    return str(world.sim_url)


@pytest.fixture
def here(world: Any, simulator: str, dispatched: Any) -> Any:
    world.sim_url = simulator
    return world


def _run(accepted: dict[str, Any], tracking: FakeTracking, number: int = 1) -> str | None:
    return run_attempts([Job(int(accepted["report_id"]), number)],
                        counters=tracking.counters())[0]


def _metrics(report_id: int) -> dict[str, Any]:
    with unit_of_work() as uow:
        return dict(uow.session.scalars(select(ReconciliationLog.metrics).where(
            ReconciliationLog.report_id == report_id)).one())


# clicks source, conversions source, linked, claim (views, clicks, conversions),
# counted (clicks, conversions), platform link clicks -> status, sources
CASES = [
    ("tracked", "postback", True, (1000, 40, 4), (40, 4), 0, "MATCHED",
     ("tracked", "postback")),
    ("tracked", "postback", True, (1000, 80, 4), (40, 4), 0, "AFFILIATE_OVERCLAIMED",
     ("tracked", "postback")),
    ("tracked", "postback", True, (1000, 40, 9), (40, 4), 0, "AFFILIATE_OVERCLAIMED",
     ("tracked", "postback")),
    # No tracked link: clicks and conversions are unverifiable; views alone decide.
    ("tracked", "postback", False, (1000, 80, 9), (40, 4), 0, "MATCHED",
     ("none", "none")),
    ("none", "none", True, (1000, 500, 50), (40, 4), 0, "MATCHED", ("none", "none")),
    # Platform link clicks (x): the platform's url_link_clicks, never its likes.
    ("platform", "none", False, (1000, 30, 0), (0, 0), 30, "MATCHED", ("platform", "none")),
    ("platform", "none", False, (1000, 60, 0), (0, 0), 30, "AFFILIATE_OVERCLAIMED",
     ("platform", "none")),
]


@pytest.mark.parametrize(
    "clicks, conversions, linked, claim, counted, link_clicks, status, sources", CASES)
def test_each_claimed_metric_is_compared_with_its_own_source(
    here: Any, clicks: str, conversions: str, linked: bool, claim: tuple[int, int, int],
    counted: tuple[int, int], link_clicks: int, status: str, sources: tuple[str, str],
) -> None:
    campaign_id = _campaign(["x"], clicks, conversions)
    shown = {"views": 1000, "likes": 900, "comments": 800, "shares": 700,
             "link_clicks": link_clicks}
    tracking = FakeTracking()
    accepted = _submit(here, campaign_id, "x", claim, shown)
    if linked:
        tracking.link(int(accepted["post_id"]), *counted)

    assert _run(accepted, tracking) == status

    metrics = _metrics(int(accepted["report_id"]))
    assert {m: metrics[m]["source"] for m in metrics} == {
        "views": "platform", "clicks": sources[0], "conversions": sources[1]}
    for m, source in zip(("clicks", "conversions"), sources, strict=True):
        assert metrics[m]["verifiable"] is (source != "none")
        if source == "none":
            assert metrics[m]["observed"] is None and metrics[m]["pct"] is None
    # likes, comments and shares (900, 800, 700) are never what a claim is compared with
    assert {metrics[m]["observed"] for m in metrics} & {900, 800, 700} == set()
    # At submission the real tracking tables decide whether the post has a link (this one
    # was submitted without link_code, so it has none): a non-zero claim with no source is
    # flagged.
    at_submission = metric_sources(Sources(clicks, conversions), has_tracked_link=False)
    unmeasured = [v for m, v in zip(("clicks", "conversions"), claim[1:], strict=True)
                  if at_submission[m] == "none" and v > 0]
    flags = [f for f in accepted["suspicion_flags"] if f["name"] == "unverifiable_claim"]
    assert [f["severity"] for f in flags] == (["LOW"] if unmeasured else [])


def test_a_snapshot_keeps_what_the_platform_reported_and_the_source_of_each_number(
    here: Any
) -> None:
    campaign_id = _campaign(["instagram"], "platform", "postback")
    shown = {"views": 5000, "likes": 300, "comments": 40, "shares": 12, "link_clicks": 90,
             "author": "ana_creates", "published_at": "2026-11-20T10:30:00Z",
             "caption": "Spring drop #ad"}
    tracking = FakeTracking()
    accepted = _submit(here, campaign_id, "instagram", (5000, 90, 7), shown)
    tracking.link(int(accepted["post_id"]), clicks=55, conversions=7)

    assert _run(accepted, tracking) == "MATCHED"

    report = get_report(Principal(here.affiliate["id"], Role.AFFILIATE),
                        int(accepted["report_id"]))
    [snapshot] = report["snapshots"]
    assert snapshot == {
        "attempt": 1, "fetched_at": snapshot["fetched_at"], "views": 5000, "clicks": 90,
        "conversions": 7, "likes": 300, "comments": 40, "shares": 12, "link_clicks": 90,
        "author": "ana_creates", "published_at": "2026-11-20T10:30:00+00:00",
        "caption": "Spring drop #ad",
        "sources": {"views": "platform", "clicks": "platform", "conversions": "postback"},
    }
    # Platform clicks need no tracked count: only conversions were asked for.
    assert [name for name, _, _ in tracking.asked if name != "has_link"] == ["conversions"]


def test_tracked_numbers_are_read_as_of_the_attempt_and_later_ones_picked_up_again(
    here: Any
) -> None:
    campaign_id = _campaign(["youtube"])
    tracking = FakeTracking()
    accepted = _submit(here, campaign_id, "youtube", (1000, 50, 5), {"views": 1000})
    post_id = int(accepted["post_id"])
    later = datetime.now(UTC) + timedelta(days=1)
    tracking.link(post_id, clicks=20, conversions=5)
    tracking.link(post_id, clicks=30, at=later)  # counted after the attempt's moment

    assert _run(accepted, tracking) == "AFFILIATE_OVERCLAIMED"  # 50 claimed, 20 counted
    assert _metrics(int(accepted["report_id"]))["clicks"]["observed"] == 20
    as_of = [when for name, _, when in tracking.asked if name == "clicks"]
    assert len(as_of) == 1 and as_of[0] is not None and as_of[0] < later

    # The later clicks are there at re-verification (attempt 2, as of a later time).
    status = run_attempts([Job(int(accepted["report_id"]), 2, trigger="reverify")],
                          now=later, counters=tracking.counters())[0]
    assert status == "MATCHED"


def test_a_platform_that_shows_nothing_leaves_the_whole_attempt_missing(here: Any) -> None:
    campaign_id = _campaign(["youtube"])
    tracking = FakeTracking()
    accepted = _submit(here, campaign_id, "youtube", (1000, 50, 5), {"views": 1000})
    tracking.link(int(accepted["post_id"]), clicks=50, conversions=5)
    requests.put(f"{here.sim_url}/_sim/faults",
                 json={"platform": "youtube", "mode": "not_found", "count": 1},
                 timeout=5).raise_for_status()

    assert _run(accepted, tracking) == "MISSING_PLATFORM_DATA"
    assert not [a for a in tracking.asked if a[0] != "has_link"]  # no count was read
    with unit_of_work() as uow:
        assert not uow.session.scalars(select(Snapshot).where(
            Snapshot.report_id == int(accepted["report_id"]))).all()

"""GET /campaigns/{id}/analytics: claims against platform truth, per platform and affiliate."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from reconcile.dispatch import set_dispatcher
from reconcile.services.intake.submissions import Claim, update_metrics
from reconcile.services.principal import Principal
from reconcile.services.tracking.counts import has_tracked_link
from tests.integration.apihelp import (
    auth,
    make_scene,
    new_campaign,
    new_user,
    post_url,
    reconcile_now,
    submit_as,
)
from tests.integration.conftest import RecordingDispatcher


class _Sim:
    def __init__(self, url: str) -> None:
        self.url = url

    def post(self, platform: str, url: str, views: int, clicks: int, conversions: int) -> None:
        body = {"platform": platform, "url": url, "views": views, "clicks": clicks,
                "conversions": conversions, "omit": []}
        requests.put(f"{self.url}/_sim/posts", json=body, timeout=5).raise_for_status()


@pytest.fixture(scope="module")
def campaign(simulator: str) -> Iterator[dict[str, Any]]:
    set_dispatcher(RecordingDispatcher())
    try:
        yield _campaign(_Sim(simulator))
    finally:
        set_dispatcher(None)


def _campaign(sim: Any) -> dict[str, Any]:
    """Four posts: matched, low, over-claimed (all reconciled), and one never attempted;
    then the matched post's affiliate claims new numbers (a pending report)."""
    scene = make_scene()
    campaign_id = new_campaign(scene.client_a)
    one, two = new_user("AFFILIATE"), new_user("AFFILIATE")
    posts = [(one, "youtube", (1000, 50, 5)), (one, "reddit", (1080, 50, 5)),
             (two, "reddit", (1600, 50, 5))]
    accepted = []
    for affiliate, platform, claim in posts:
        url = post_url(platform)
        accepted.append(submit_as(affiliate, campaign_id, platform, url, claim))
        reconcile_now(sim, accepted[-1], platform, url, (1000, 50, 5))
    submit_as(two, campaign_id, "x", claim=(700, 10, 1))
    update_metrics(Principal(one["id"], "AFFILIATE"), accepted[0]["post_id"], Claim(1200, 60, 6),
                   has_link=has_tracked_link)
    return {"id": campaign_id, "scene": scene, "one": one, "two": two,
            "overclaimed_report": accepted[2]["report_id"]}


def _analytics(client: Any, campaign: dict[str, Any], role: str = "CLIENT") -> dict[str, Any]:
    resp = client.get(f"/api/v1/campaigns/{campaign['id']}/analytics",
                      headers=campaign["scene"].key(role))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_totals_sum_latest_claims_and_each_metric_from_its_own_source(
    client: Any, campaign: dict[str, Any]
) -> None:
    view = _analytics(client, campaign)

    assert view["campaign_id"] == campaign["id"]
    assert view["sources"] == {"views": "platform", "clicks": "tracked",
                               "conversions": "postback"}
    assert view["totals"] == {
        "posts": 4, "reports": 5,
        "claimed": {"views": 1200 + 1080 + 1600 + 700, "clicks": 60 + 50 + 50 + 10,
                    "conversions": 6 + 5 + 5 + 1},
        # views from the simulator's platform; clicks from the tracked links' counts and
        # conversions from postbacks (reconcile_now's counts), never from a claim
        "verified": {"views": 3000, "clicks": 150, "conversions": 15},
        "verified_by_source": {"views": {"platform": 3000}, "clicks": {"tracked": 150},
                               "conversions": {"postback": 15}},
        # views → clicks → conversions of the verified numbers (the x post has none yet)
        "funnel": {"views": 3000, "clicks": 150, "conversions": 15, "click_rate": 0.05,
                   "conversion_rate": 0.1},
    }


def test_the_funnel_is_shown_per_affiliate_and_per_post_from_verified_numbers(
    client: Any, campaign: dict[str, Any]
) -> None:
    view = _analytics(client, campaign)
    affiliates = {a["affiliate_id"]: a for a in view["by_affiliate"]}
    posts = {p["post_id"]: p for p in view["by_post"]}

    two = affiliates[campaign["two"]["id"]]["funnel"]
    assert two == {"views": 1000, "clicks": 50, "conversions": 5, "click_rate": 0.05,
                   "conversion_rate": 0.1}  # its x post, never attempted, adds nothing
    assert len(posts) == 4 and list(posts) == sorted(posts, reverse=True)  # newest first
    pending_x = next(p for p in posts.values() if p["platform"] == "x")
    assert pending_x["status"] == "PENDING" and pending_x["funnel"] == {
        "views": None, "clicks": None, "conversions": None, "click_rate": None,
        "conversion_rate": None}
    assert pending_x["sources"] == {"views": None, "clicks": None, "conversions": None}
    over = next(p for p in posts.values() if p["report_id"] == campaign["overclaimed_report"])
    assert over["claimed"] == {"views": 1600, "clicks": 50, "conversions": 5}
    assert over["verified"] == {"views": 1000, "clicks": 50, "conversions": 5}
    assert over["sources"] == {"views": "platform", "clicks": "tracked",
                               "conversions": "postback"}
    assert over["funnel"]["click_rate"] == 0.05 and over["url"].startswith("https://")


def test_success_rate_counts_matched_and_low_over_the_reconciled(
    client: Any, campaign: dict[str, Any]
) -> None:
    recon = _analytics(client, campaign, "ANALYST")["reconciliation"]

    assert recon["by_status"] == {"AFFILIATE_OVERCLAIMED": 1, "DISCREPANCY_LOW": 1,
                                  "PENDING": 2}
    assert recon["success_rate"] == 0.5
    assert recon["pending"] == 2


def test_the_view_is_cut_by_platform_and_by_affiliate(
    client: Any, campaign: dict[str, Any]
) -> None:
    view = _analytics(client, campaign, "ADMIN")
    platforms = {p["platform"]: p for p in view["by_platform"]}
    affiliates = {a["affiliate_id"]: a for a in view["by_affiliate"]}

    assert set(platforms) == {"youtube", "reddit", "x"}
    assert (platforms["reddit"]["posts"], platforms["reddit"]["success_rate"]) == (2, 0.5)
    assert platforms["reddit"]["verified"] == {"views": 2000, "clicks": 100, "conversions": 10}
    assert platforms["x"]["success_rate"] is None
    assert platforms["x"]["verified"] == {"views": 0, "clicks": 0, "conversions": 0}
    assert affiliates[campaign["one"]["id"]]["success_rate"] == 1.0
    assert affiliates[campaign["two"]["id"]]["success_rate"] == 0.0
    assert affiliates[campaign["two"]["id"]]["claimed"]["views"] == 2300


def test_open_and_recent_alerts_are_the_campaigns(client: Any, campaign: dict[str, Any]) -> None:
    view = _analytics(client, campaign)

    assert view["open_alerts"] == 1
    assert [(a["report_id"], a["type"], a["severity"]) for a in view["recent_alerts"]] == [
        (campaign["overclaimed_report"], "HIGH_DISCREPANCY", "CRITICAL")]


def test_success_rate_is_null_before_anything_is_reconciled(client: Any,
                                                           dispatched: Any) -> None:
    scene = make_scene()
    campaign_id = new_campaign(scene.client_a)
    submit_as(new_user("AFFILIATE"), campaign_id)

    view = client.get(f"/api/v1/campaigns/{campaign_id}/analytics",
                      headers=auth(scene.users["CLIENT"])).get_json()

    assert view["reconciliation"]["success_rate"] is None
    assert view["reconciliation"]["pending"] == 1
    assert view["totals"]["verified"] == {"views": 0, "clicks": 0, "conversions": 0}
    assert view["open_alerts"] == 0 and view["recent_alerts"] == []


def test_platform_link_clicks_are_verified_from_the_platform_and_legacy_engagement_never(
    client: Any, simulator: str, dispatched: Any
) -> None:
    from sqlalchemy import update

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Snapshot
    from reconcile.rules.sources import Sources
    from reconcile.services.admin.campaigns import create_campaign
    from reconcile.services.principal import SYSTEM
    from reconcile.services.reconciliation.attempts import Job, run_attempt
    from tests.conftest import unique

    scene = make_scene()
    campaign_id = int(create_campaign(SYSTEM, name=unique("x"), client_id=scene.client_a,
                                      platforms=["x"], sources=Sources("platform", "none"))["id"])
    affiliate = new_user("AFFILIATE")
    shown = {"views": 2000, "likes": 400, "comments": 30, "shares": 20, "link_clicks": 90}
    reports = []
    for _ in range(2):
        url = post_url("x")
        requests.put(f"{simulator}/_sim/posts", json={"platform": "x", "url": url, **shown},
                     timeout=5).raise_for_status()
        accepted = submit_as(affiliate, campaign_id, "x", url, (2000, 90, 0))
        assert run_attempt(Job(int(accepted["report_id"]), 1)) == "MATCHED"
        reports.append(int(accepted["report_id"]))
    # The second post's snapshot as migration 0010 left one from before sources: its
    # clicks were engagement under another name.
    with unit_of_work() as uow:
        uow.session.execute(update(Snapshot).where(Snapshot.report_id == reports[1]).values(
            sources={"views": "platform", "clicks": "legacy_engagement",
                     "conversions": "legacy_engagement"}))

    view = client.get(f"/api/v1/campaigns/{campaign_id}/analytics",
                      headers=auth(scene.users["CLIENT"])).get_json()

    assert view["sources"] == {"views": "platform", "clicks": "platform",
                               "conversions": "none"}
    assert view["totals"]["verified"] == {"views": 4000, "clicks": 90, "conversions": 0}
    assert view["totals"]["verified_by_source"] == {
        "views": {"platform": 4000},
        "clicks": {"legacy_engagement": 90, "platform": 90},
        "conversions": {},
    }

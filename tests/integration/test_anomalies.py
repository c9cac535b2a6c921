"""Anomalies on the platform's own numbers (truth.md; docs/fraud.md) on real attempts:
each VIEW_ANOMALY alert carries its evidence and never changes the status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconcile.services.reconciliation.attempts import Job, run_attempt
from tests.integration.flows import alerts, log_of, post_url, submit_claim


def _anomalies(report: int) -> dict[str, dict[str, Any]]:
    return {a.rule: a.threshold_breached for a in alerts(report) if a.type == "VIEW_ANOMALY"}


def _post(world: Any, sim: Any, affiliate: dict[str, Any], views: int, *,
          hours_ago: float, platform: str = "youtube", **shown: Any) -> int:
    url = post_url(platform)
    published = datetime.now(UTC) - timedelta(hours=hours_ago)
    shown.setdefault("likes", views // 20)
    shown.setdefault("comments", views // 100)
    sim.post(platform, url, views, published_at=published.isoformat(), **shown)
    report = submit_claim(world, affiliate, platform, url, (views, 0, 0))
    assert run_attempt(Job(report, 1)) == "MATCHED"
    return report


@pytest.mark.parametrize(("earlier", "alerted"), [(3, True), (2, False)])
def test_a_velocity_spike_needs_three_earlier_posts(
        world: Any, sim: Any, dispatched: Any, earlier: int, alerted: bool) -> None:
    affiliate = world.new_affiliate()
    for _ in range(earlier):  # about 100 views an hour each
        _post(world, sim, affiliate, 1000, hours_ago=10)
    spike = _post(world, sim, affiliate, 30_000, hours_ago=2)  # about 15,000 an hour

    found = _anomalies(spike)
    assert ("A1" in found) == alerted
    if alerted:
        evidence = found["A1"]
        assert evidence["baseline_posts"] == 3 and evidence["velocity_factor"] == 10.0
        assert 95 < evidence["baseline_median"] < 105
        assert evidence["views_per_hour"] > evidence["threshold"] == pytest.approx(
            10 * evidence["baseline_median"], abs=0.1)  # each rounded to 2 places
    assert log_of(spike).status == "MATCHED"


def test_views_without_engagement_raise_an_anomaly_with_its_numbers(
        world: Any, sim: Any, dispatched: Any) -> None:
    report = _post(world, sim, world.new_affiliate(), 50_000, hours_ago=300, likes=40,
                   comments=10)
    assert _anomalies(report)["A2"] == {
        "rule": "engagement", "views": 50_000, "likes": 40, "comments": 10,
        "engagement_rate": 0.001, "min_engagement_rate": 0.002, "min_views": 10_000}
    [alert] = [a for a in alerts(report) if a.rule == "A2"]
    assert (alert.category, alert.severity) == ("FRAUD", "MEDIUM")


def test_healthy_engagement_raises_nothing_and_a_rerun_never_duplicates(
        world: Any, sim: Any, dispatched: Any) -> None:
    report = _post(world, sim, world.new_affiliate(), 50_000, hours_ago=300, likes=40,
                   comments=10)
    assert run_attempt(Job(report, 2, trigger="rerun")) == "MATCHED"
    assert [a.rule for a in alerts(report)] == ["A2"]
    healthy = _post(world, sim, world.new_affiliate(), 50_000, hours_ago=300, likes=2000)
    assert _anomalies(healthy) == {}


def test_too_many_counted_clicks_per_view_raise_an_anomaly(
        world: Any, sim: Any, dispatched: Any) -> None:
    from reconcile.rules import Sources
    from reconcile.services.admin.campaigns import create_campaign
    from reconcile.services.principal import SYSTEM
    from tests.conftest import unique

    # The campaign counts x's own link clicks (truth.md, Sources).
    campaign = create_campaign(SYSTEM, name=unique("c"), client_id=world.client_id,
                               platforms=["x"], sources=Sources("platform", "none"))["id"]
    affiliate = world.new_affiliate()
    flooded, fair = post_url("x"), post_url("x")
    sim.post("x", flooded, 1000, link_clicks=400, likes=100)
    sim.post("x", fair, 1000, link_clicks=350, likes=100)
    reports = [submit_claim(world, affiliate, "x", url, (1000, clicks, 0), campaign_id=campaign)
               for url, clicks in ((flooded, 400), (fair, 350))]
    assert [run_attempt(Job(r, 1)) for r in reports] == ["MATCHED", "MATCHED"]

    assert _anomalies(reports[0]) == {"A3": {
        "rule": "click_rate", "views": 1000, "clicks": 400, "click_rate": 0.4,
        "max_click_rate": 0.35, "min_views": 100}}
    assert _anomalies(reports[1]) == {}


def test_each_post_keeps_the_rate_of_its_newest_reading(
        world: Any, sim: Any, dispatched: Any) -> None:
    """posts.views_per_hour, the velocity baseline's input, follows the newest snapshot."""
    from sqlalchemy import select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Post, Report, Snapshot
    from reconcile.rules.anomaly import post_rate

    report = _post(world, sim, world.new_affiliate(), 1000, hours_ago=10)

    def kept_and_newest() -> tuple[float | None, float | None]:
        with unit_of_work() as uow:
            s = uow.session
            post = s.scalar(select(Report.post_id).where(Report.id == report))
            newest = s.scalars(select(Snapshot).where(Snapshot.post_id == post)
                               .order_by(Snapshot.id.desc())).first()
            assert newest is not None
            return (s.scalar(select(Post.views_per_hour).where(Post.id == post)),
                    post_rate(newest.views, newest.published_at, newest.fetched_at))

    kept, newest = kept_and_newest()
    assert kept is not None and 95 < kept < 105 and kept == newest
    run_attempt(Job(report, 2, trigger="reverify"))  # a later reading, a little later
    kept_again, newest_again = kept_and_newest()
    assert kept_again == newest_again and kept_again != kept

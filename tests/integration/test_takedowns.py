"""Takedown monitoring (truth.md, Takedown; docs/fraud.md): a verified post that vanishes
inside its live period raises POST_REMOVED once; the sweep keeps visiting verified posts
through the live period, each platform within its share of calls per sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from reconcile.bootstrap import active_rules
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import ReconciliationLog, Report
from reconcile.services.reconciliation.attempts import Job, run_attempt
from reconcile.services.reconciliation.reverify import per_sweep, reverify
from tests.integration.flows import alerts, log_of, post_url, submit_claim, trust

TRUTH = (1000, 0, 0)
LIVE_DAYS = 30


def _verified(world: Any, sim: Any, affiliate: dict[str, Any], platform: str = "youtube",
              ) -> tuple[int, str]:
    url = post_url(platform)
    sim.post(platform, url, 1000)
    report = submit_claim(world, affiliate, platform, url, TRUTH)
    assert run_attempt(Job(report, 1)) == "MATCHED"
    assert log_of(report).verified_at is not None
    return report, url


def _verified_ago(report: int, age: timedelta) -> None:
    with unit_of_work() as uow:
        uow.session.execute(update(ReconciliationLog)
                            .where(ReconciliationLog.report_id == report)
                            .values(verified_at=datetime.now(UTC) - age))


@pytest.mark.parametrize(("age", "raised"), [
    (timedelta(days=1), True),
    # The last day of the live period, and one day after it.
    (timedelta(days=LIVE_DAYS) - timedelta(minutes=5), True),
    (timedelta(days=LIVE_DAYS + 1), False),
])
def test_a_post_taken_down_inside_its_live_period_raises_post_removed_once(
        world: Any, sim: Any, dispatched: Any, age: timedelta, raised: bool) -> None:
    affiliate = world.new_affiliate()
    report, url = _verified(world, sim, affiliate)
    _verified_ago(report, age)
    sim.post("youtube", url, 1000, removed=True)

    run_attempt(Job(report, 2, trigger="reverify"))
    run_attempt(Job(report, 3, trigger="reverify"))

    removed = [a for a in alerts(report) if a.type == "POST_REMOVED"]
    assert len(removed) == (1 if raised else 0)
    if raised:
        assert (removed[0].category, removed[0].severity, removed[0].rule) == (
            "FRAUD", "MEDIUM", "R9")
        assert removed[0].threshold_breached["live_days"] == LIVE_DAYS
    # The verified outcome and its trust effect stand.
    assert (log_of(report).status, trust(affiliate["id"])) == ("MATCHED", 0.51)
    # Once found taken down, the post is not visited again; otherwise it still is.
    _age(report, submitted=timedelta(days=10), attempted=timedelta(days=300),
         verified=timedelta(days=1))
    dispatched.sent.clear()
    reverify()
    assert (report in _sent(dispatched)) == (not raised)


def test_a_post_shown_without_numbers_is_not_a_takedown(
        world: Any, sim: Any, dispatched: Any) -> None:
    report, url = _verified(world, sim, world.new_affiliate())
    sim.post("youtube", url, 1000, omit=["views", "likes", "comments"])
    run_attempt(Job(report, 2, trigger="reverify"))
    assert [a.type for a in alerts(report)] == []


def _age(report: int, *, submitted: timedelta, attempted: timedelta,
         verified: timedelta) -> None:
    now = datetime.now(UTC)
    with unit_of_work() as uow:
        uow.session.execute(update(Report).where(Report.id == report)
                            .values(submitted_at=now - submitted))
        uow.session.execute(update(ReconciliationLog)
                            .where(ReconciliationLog.report_id == report)
                            .values(last_attempt_at=now - attempted, verified_at=now - verified,
                                    scheduled_retry_at=None))


def _sent(dispatched: Any) -> set[int]:
    return {r for r, _, kw in dispatched.sent if kw["trigger"] == "reverify"}


def test_the_sweep_visits_verified_posts_through_the_live_period_then_stops(
        world: Any, sim: Any, dispatched: Any) -> None:
    affiliate = world.new_affiliate()
    in_live = _verified(world, sim, affiliate, "reddit")[0]
    visited_today = _verified(world, sim, affiliate, "reddit")[0]
    past_live = _verified(world, sim, affiliate, "reddit")[0]
    _age(in_live, submitted=timedelta(days=20), attempted=timedelta(hours=25),
         verified=timedelta(days=20))
    # Past max_age_days a post is visited once a day at most, whatever its bucket says.
    _age(visited_today, submitted=timedelta(days=20), attempted=timedelta(hours=23),
         verified=timedelta(days=20))
    _age(past_live, submitted=timedelta(days=31), attempted=timedelta(hours=25),
         verified=timedelta(days=31))
    dispatched.sent.clear()

    reverify()

    sent = _sent(dispatched)
    assert in_live in sent
    assert visited_today not in sent and past_live not in sent


def test_each_sweep_sends_at_most_its_share_of_a_platforms_calls(
        world: Any, sim: Any, dispatched: Any) -> None:
    rules = active_rules()
    cap = per_sweep("tiktok", rules)
    # 60 calls an hour, a sweep every 300 s: 5 calls, of 20 videos each.
    assert cap == 5 * 20
    affiliate = world.new_affiliate()
    reports = []
    for _ in range(cap + 7):
        url = post_url("tiktok")
        report = submit_claim(world, affiliate, "tiktok", url, TRUTH)
        with unit_of_work() as uow:
            uow.session.execute(update(ReconciliationLog)
                                .where(ReconciliationLog.report_id == report)
                                .values(status="MATCHED", is_terminal=True, attempt_count=1))
        # Older than anything else on the platform, so these are the longest-waiting.
        _age(report, submitted=timedelta(days=10), attempted=timedelta(days=400),
             verified=timedelta(days=10))
        reports.append(report)
    dispatched.sent.clear()

    reverify()
    first = _sent(dispatched) & set(reports)
    dispatched.sent.clear()
    reverify()
    second = _sent(dispatched) & set(reports)

    assert len(first) == cap and len(second) == 7 and not first & second
    with unit_of_work() as uow:
        marked = uow.session.scalars(select(ReconciliationLog.scheduled_retry_at).where(
            ReconciliationLog.report_id.in_(reports))).all()
    assert all(m is not None for m in marked)

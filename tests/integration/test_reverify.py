"""Periodic re-verification (domain.md): which reports are due, and what a re-run changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.locks import held
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import ReconciliationLog, Report, User
from reconcile.services.intake.submissions import Claim, update_metrics
from reconcile.services.principal import Principal
from reconcile.services.reconciliation.attempts import Job, run_attempt
from reconcile.services.reconciliation.reverify import reverify
from reconcile.services.tracking.counts import has_tracked_link
from tests.conftest import wait_for
from tests.integration.flows import (
    alerts,
    attempts,
    ledger,
    log_of,
    post_url,
    submit_claim,
    trust,
    wait_terminal,
)

TRUTH = (1000, 50, 5)
# domain.md: a bucket's interval; a score inside each bucket.
BUCKETS = [("high_trust", 0.80, 72), ("normal", 0.50, 24), ("low_trust", 0.30, 6),
           ("critical", 0.10, 1)]


def _set_score(user_id: int, score: float) -> None:
    with unit_of_work() as uow:
        uow.session.get(User, user_id).trust_score = score


def _fabricate(report_id: int, *, status: str = "MATCHED", terminal: bool = True,
               attempted_ago: timedelta, submitted_ago: timedelta | None = None) -> None:
    """Make a report look reconciled `attempted_ago` (without running anything)."""
    now = datetime.now(UTC)
    with unit_of_work() as uow:
        rlog = uow.session.scalars(
            select(ReconciliationLog).where(ReconciliationLog.report_id == report_id)
        ).one()
        rlog.status, rlog.is_terminal, rlog.attempt_count = status, terminal, 1
        rlog.last_attempt_at, rlog.scheduled_retry_at = now - attempted_ago, None
        if submitted_ago is not None:
            uow.session.get(Report, report_id).submitted_at = now - submitted_ago


def _sent(dispatched: Any, report_id: int) -> list[tuple[int, str, str]]:
    return [(n, kw["priority"], kw["trigger"]) for r, n, kw in dispatched.sent if r == report_id]


def _report(world: Any, affiliate: dict[str, Any]) -> int:
    return submit_claim(world, affiliate, "youtube", post_url("youtube"), TRUTH)


@pytest.mark.parametrize(("bucket", "score", "hours"), BUCKETS)
def test_a_verified_report_is_reverified_at_low_priority_once_its_bucket_interval_passed(
    world: Any, dispatched: Any, bucket: str, score: float, hours: int
) -> None:
    assert active_rules().reverify.interval_hours[bucket] == hours
    affiliate = world.new_affiliate()
    _set_score(affiliate["id"], score)
    due, fresh = _report(world, affiliate), _report(world, affiliate)
    _fabricate(due, attempted_ago=timedelta(hours=hours, minutes=10))
    _fabricate(fresh, attempted_ago=timedelta(hours=hours, minutes=-10))
    dispatched.sent.clear()

    reverify()

    assert _sent(dispatched, due) == [(2, "low", "reverify")]
    assert _sent(dispatched, fresh) == []
    assert log_of(due).scheduled_retry_at is not None


@pytest.mark.parametrize(("status", "terminal", "submitted_days_ago"), [
    ("MISSING_PLATFORM_DATA", True, 0),
    ("INCOMPLETE_PLATFORM_DATA", True, 0),
    ("MISSING_PLATFORM_DATA", False, 0),
    ("MATCHED", True, 8),
])
def test_reports_not_terminal_verified_or_older_than_the_max_age_are_not_reverified(
    world: Any, dispatched: Any, status: str, terminal: bool, submitted_days_ago: int
) -> None:
    report_id = _report(world, world.new_affiliate())
    _fabricate(report_id, status=status, terminal=terminal, attempted_ago=timedelta(hours=100),
               submitted_ago=timedelta(days=submitted_days_ago, hours=1))
    dispatched.sent.clear()

    reverify()

    assert _sent(dispatched, report_id) == []


def test_a_report_superseded_by_an_update_is_not_reverified(world: Any, dispatched: Any) -> None:
    affiliate = world.new_affiliate()
    old = _report(world, affiliate)
    post_id = _post_of(old)
    new = int(update_metrics(Principal(user_id=affiliate["id"], role="AFFILIATE"), post_id,
                             Claim(*TRUTH), has_link=has_tracked_link)["report_id"])
    for report_id in (old, new):
        _fabricate(report_id, attempted_ago=timedelta(hours=100))
    dispatched.sent.clear()

    reverify()

    assert (_sent(dispatched, old), _sent(dispatched, new)) == ([], [(2, "low", "reverify")])


def test_a_reverification_already_sent_is_not_sent_again_before_the_next_interval(
    world: Any, dispatched: Any
) -> None:
    report_id = _report(world, world.new_affiliate())
    _fabricate(report_id, attempted_ago=timedelta(hours=100))
    dispatched.sent.clear()

    reverify()
    reverify()
    assert _sent(dispatched, report_id) == [(2, "low", "reverify")]

    reverify(now=datetime.now(UTC) + timedelta(hours=25))
    assert len(_sent(dispatched, report_id)) == 2


def _post_of(report_id: int) -> int:
    with unit_of_work() as uow:
        return int(uow.session.get(Report, report_id).post_id)


def _verified_through_workers(world: Any, sim: Any, claim: tuple[int, int, int],
                              ) -> tuple[int, str, dict[str, Any]]:
    url = post_url("reddit")
    sim.post("reddit", url, *TRUTH)
    affiliate = world.new_affiliate()
    report_id = submit_claim(world, affiliate, "reddit", url, claim)
    wait_terminal(report_id)
    # Three days back: past the interval of every bucket, well inside max_age_days.
    _fabricate(report_id, status=log_of(report_id).status, attempted_ago=timedelta(hours=73),
               submitted_ago=timedelta(hours=74))
    return report_id, url, affiliate


def _reverified(report_id: int) -> Any:
    reverify()
    wait_for(lambda: len(attempts(report_id)) == 2 and log_of(report_id).attempt_count == 2,
             30, 0.1, what=f"report {report_id} to be re-verified")
    return attempts(report_id)[-1]


def test_a_reverification_with_the_same_outcome_changes_no_trust_and_raises_no_alert(
    world: Any, sim: Any, workers: Any
) -> None:
    report_id, _, affiliate = _verified_through_workers(world, sim, (1600, 50, 5))
    before = (ledger(report_id), alerts(report_id), trust(affiliate["id"]))

    second = _reverified(report_id)

    assert (second.trigger, second.status) == ("reverify", "AFFILIATE_OVERCLAIMED")
    assert [r.id for r in ledger(report_id)] == [r.id for r in before[0]]
    assert [a.id for a in alerts(report_id)] == [a.id for a in before[1]]
    assert trust(affiliate["id"]) == pytest.approx(before[2]) == pytest.approx(0.40)


def test_a_reverification_with_a_changed_outcome_replaces_the_trust_effect(
    world: Any, sim: Any, workers: Any
) -> None:
    report_id, url, affiliate = _verified_through_workers(world, sim, TRUTH)
    assert trust(affiliate["id"]) == pytest.approx(0.51)
    sim.post("reddit", url, 700, 50, 5)  # the platform removed views: now an over-claim

    second = _reverified(report_id)

    assert (second.trigger, second.status) == ("reverify", "AFFILIATE_OVERCLAIMED")
    assert [(r.event, r.delta) for r in ledger(report_id)] == [
        ("perfect_match", pytest.approx(0.01)), ("reversal:perfect_match", pytest.approx(-0.01)),
        ("overclaim", pytest.approx(-0.10))]
    assert trust(affiliate["id"]) == pytest.approx(0.40)
    assert [(a.rule, a.severity) for a in alerts(report_id)] == [("R1", "HIGH")]
    assert (log_of(report_id).status, log_of(report_id).is_terminal) == (
        "AFFILIATE_OVERCLAIMED", True)


def test_data_missing_at_a_reverification_keeps_the_verified_outcome(
    world: Any, sim: Any, dispatched: Any
) -> None:
    url = post_url("reddit")
    sim.post("reddit", url, *TRUTH)
    affiliate = world.new_affiliate()
    report_id = submit_claim(world, affiliate, "reddit", url, TRUTH)
    assert run_attempt(Job(report_id, 1)) == "MATCHED"
    sim.post("reddit", url, *TRUTH, omit=["views", "clicks", "conversions"])
    dispatched.sent.clear()

    assert run_attempt(Job(report_id, 2, trigger="reverify")) == "MISSING_PLATFORM_DATA"

    rlog = log_of(report_id)
    assert (rlog.status, rlog.is_terminal, rlog.attempt_count) == ("MATCHED", True, 2)
    assert [a.status for a in attempts(report_id)] == ["MATCHED", "MISSING_PLATFORM_DATA"]
    assert alerts(report_id) == [] and dispatched.sent == []
    assert [r.event for r in ledger(report_id)] == ["perfect_match"]
    assert trust(affiliate["id"]) == pytest.approx(0.51)


def test_the_reverify_sweep_is_scheduled_beside_its_task_and_runs_once_at_a_time(
    dispatched: Any, stack: Any
) -> None:
    import tasks
    from tasks.reverify import reverify_due

    entry = tasks.app.conf.beat_schedule["reverify-verified-reports"]
    assert entry["task"] == "reconcile.reverify"
    assert entry["schedule"] == active_rules().reverify.sweep_interval_seconds
    with held("reverify", ttl_seconds=30) as mine:
        assert mine
        assert reverify_due() == 0

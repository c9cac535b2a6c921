"""domain.md's retry policy, alerts and trust, end to end through the worker processes.

The session runs with tests/rules/fast.toml: missing data is retried after 1 s x n, at most
3 attempts; incomplete data gets one more attempt after 1 s. Each test uses its own posts,
and faults only on platforms no other flow here uses at the same moment, reset afterwards.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reconcile.bootstrap import active_rules
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import User
from reconcile.rules.sources import Sources
from reconcile.services.admin.campaigns import create_campaign
from reconcile.services.principal import SYSTEM
from reconcile.services.reconciliation import effects
from reconcile.services.reconciliation.attempts import Job, load_target, run_attempt, run_attempts
from tests.conftest import unique, wait_for
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
from tests.integration.tracking_fake import FakeTracking

TRUTH = (1000, 50, 5)


def _link_click_campaign(world: Any) -> int:
    """A campaign of the world's client whose clicks are the platform's link clicks."""
    return int(create_campaign(SYSTEM, name=unique("campaign"), client_id=world.client_id,
                               platforms=["instagram", "x"],
                               sources=Sources("platform", "none"))["id"])


def log_post(report_id: int) -> int:
    from reconcile.persistence.models import Report

    with unit_of_work() as uow:
        return int(uow.session.get(Report, report_id).post_id)


def test_data_missing_at_first_is_retried_until_it_matches(
    world: Any, sim: Any, workers: Any
) -> None:
    url = post_url("tiktok")
    sim.post("tiktok", url, *TRUTH, omit=["views", "clicks", "conversions"])
    affiliate = world.new_affiliate()

    report_id = submit_claim(world, affiliate, "tiktok", url, TRUTH)
    wait_for(lambda: attempts(report_id), 20, what="the first attempt")
    sim.post("tiktok", url, *TRUTH)
    rlog = wait_terminal(report_id)

    seen = attempts(report_id)
    assert (seen[0].status, seen[0].missing_reason) == ("MISSING_PLATFORM_DATA", "not_found")
    assert seen[0].trigger == "submission" and seen[-1].trigger == "retry"
    assert (rlog.status, rlog.attempt_count) == ("MATCHED", len(seen))
    assert 2 <= len(seen) <= active_rules().retry.missing.max_attempts
    assert alerts(report_id) == []
    assert trust(affiliate["id"]) == pytest.approx(0.51)


def test_data_missing_through_every_attempt_ends_terminal_with_a_missing_data_alert(
    world: Any, sim: Any, workers: Any
) -> None:
    url = post_url("reddit")
    sim.post("reddit", url, *TRUTH, omit=["views", "clicks", "conversions"])
    affiliate = world.new_affiliate()

    report_id = submit_claim(world, affiliate, "reddit", url, TRUTH)
    rlog = wait_terminal(report_id)

    max_attempts = active_rules().retry.missing.max_attempts
    seen = attempts(report_id)
    assert [a.status for a in seen] == ["MISSING_PLATFORM_DATA"] * max_attempts
    assert (rlog.status, rlog.missing_reason, rlog.scheduled_retry_at) == (
        "MISSING_PLATFORM_DATA", "not_found", None)
    raised = [(a.rule, a.type, a.category, a.severity) for a in alerts(report_id)]
    assert raised == [("R3", "MISSING_DATA", "SYSTEM_HEALTH", "HIGH")]
    assert ledger(report_id) == []


def test_a_missing_retry_waits_the_initial_delay_times_the_attempt_number(
    world: Any, sim: Any, workers: Any
) -> None:
    url = post_url("reddit")
    sim.post("reddit", url, *TRUTH, omit=["views", "clicks", "conversions"])

    report_id = submit_claim(world, world.new_affiliate(), "reddit", url, TRUTH)
    wait_terminal(report_id)

    delay = active_rules().retry.missing.initial_delay_seconds
    seen = attempts(report_id)
    gaps = [(b.started_at - a.started_at) for a, b in zip(seen, seen[1:], strict=False)]
    assert all(gap >= timedelta(seconds=delay * n) for n, gap in enumerate(gaps, start=1)), gaps


@pytest.mark.parametrize(("second_omit", "final"), [
    (["views"], "INCOMPLETE_PLATFORM_DATA"),
    ([], "MATCHED"),
])
def test_incomplete_data_gets_exactly_one_more_attempt(
    world: Any, sim: Any, workers: Any, second_omit: list[str], final: str
) -> None:
    # Clicks from Instagram's own link clicks: views and clicks take part, so a post
    # without views is incomplete, not missing.
    campaign = _link_click_campaign(world)
    url = post_url("instagram")
    sim.post("instagram", url, TRUTH[0], link_clicks=TRUTH[1], omit=["views"])

    report_id = submit_claim(world, world.new_affiliate(), "instagram", url, TRUTH,
                             campaign_id=campaign)
    wait_for(lambda: attempts(report_id), 20, what="the first attempt")
    sim.post("instagram", url, TRUTH[0], link_clicks=TRUTH[1], omit=second_omit)
    rlog = wait_terminal(report_id)

    assert [a.status for a in attempts(report_id)] == ["INCOMPLETE_PLATFORM_DATA", final]
    # Terminal with nothing scheduled: no third attempt is ever dispatched.
    assert (rlog.attempt_count, rlog.scheduled_retry_at) == (2, None)


def test_a_critical_overclaim_raises_a_critical_fraud_alert_and_costs_a_tenth_of_trust(
    world: Any, sim: Any, workers: Any
) -> None:
    url = post_url("x")
    sim.post("x", url, *TRUTH)
    affiliate = world.new_affiliate()

    report_id = submit_claim(world, affiliate, "x", url, (1600, 50, 5))
    rlog = wait_terminal(report_id)

    assert (rlog.status, rlog.discrepancy_level, rlog.trust_delta) == (
        "AFFILIATE_OVERCLAIMED", "CRITICAL", pytest.approx(-0.10))
    raised = [(a.rule, a.type, a.category, a.severity) for a in alerts(report_id)]
    assert raised == [("R1", "HIGH_DISCREPANCY", "FRAUD", "CRITICAL")]
    rows = [(r.event, r.delta, r.score_after) for r in ledger(report_id)]
    assert rows == [("overclaim", pytest.approx(-0.10), pytest.approx(0.40))]
    assert trust(affiliate["id"]) == pytest.approx(0.40)


def test_every_attempt_and_ledger_row_records_the_rules_version(
    world: Any, sim: Any, workers: Any
) -> None:
    url = post_url("x")
    sim.post("x", url, *TRUTH)

    report_id = submit_claim(world, world.new_affiliate(), "x", url, (1080, 50, 5))
    rlog = wait_terminal(report_id)

    version = active_rules().version
    assert rlog.rules_version == version
    assert [a.rules_version for a in attempts(report_id)] == [version]
    assert [r.rules_version for r in ledger(report_id)] == [version]


def test_a_second_high_discrepancy_on_the_same_platform_within_the_window_is_critical(
    world: Any, sim: Any, workers: Any
) -> None:
    affiliate = world.new_affiliate()
    severities = []
    for platform in ("x", "x", "tiktok"):
        url = post_url(platform)
        sim.post(platform, url, *TRUTH)
        report_id = submit_claim(world, affiliate, platform, url, (700, 50, 5))
        assert wait_terminal(report_id).status == "DISCREPANCY_HIGH"
        severities.append([(a.rule, a.category, a.severity) for a in alerts(report_id)])

    assert severities == [
        [("R2", "DATA_QUALITY", "HIGH")],
        [("R2", "DATA_QUALITY", "CRITICAL")],
        [("R2", "DATA_QUALITY", "HIGH")],  # another platform: not a repeat
    ]
    assert trust(affiliate["id"]) == pytest.approx(0.35)


def test_a_rate_limited_retry_waits_at_least_the_retry_after(
    world: Any, sim: Any, workers: Any
) -> None:
    retry_after = 3
    url = post_url("instagram")
    sim.post("instagram", url, *TRUTH)
    sim.fault("instagram", "rate_limit", count=1, retry_after=retry_after)
    try:
        report_id = submit_claim(world, world.new_affiliate(), "instagram", url, TRUTH)
        rlog = wait_terminal(report_id)
    finally:
        sim.fault("instagram", "none")

    first, second = attempts(report_id)
    assert (first.status, first.missing_reason) == ("MISSING_PLATFORM_DATA", "rate_limited")
    assert second.started_at - first.started_at >= timedelta(seconds=retry_after)
    assert (rlog.status, rlog.attempt_count) == ("MATCHED", 2)


def test_a_rate_limited_attempt_stores_a_retry_due_no_sooner_than_the_retry_after(
    world: Any, sim: Any, dispatched: Any
) -> None:
    retry_after = 120
    url = post_url("instagram")
    sim.post("instagram", url, *TRUTH)
    report_id = submit_claim(world, world.new_affiliate(), "instagram", url, TRUTH)
    sim.fault("instagram", "rate_limit", count=1, retry_after=retry_after)
    try:
        assert run_attempt(Job(report_id, 1)) == "MISSING_PLATFORM_DATA"
    finally:
        sim.fault("instagram", "none")

    (first,) = attempts(report_id)
    rlog = log_of(report_id)
    assert (rlog.missing_reason, rlog.is_terminal) == ("rate_limited", False)
    assert rlog.scheduled_retry_at >= first.started_at + timedelta(seconds=retry_after)
    (retry,) = [(n, kw) for r, n, kw in dispatched.sent if r == report_id and n == 2]
    assert retry[1]["trigger"] == "retry"
    assert retry[1]["countdown"] >= retry_after - 1  # measured a moment after the attempt


def test_a_url_another_affiliate_claimed_is_flagged_alerted_once_and_reconciled_first(
    world: Any, dispatched: Any
) -> None:
    url = post_url("youtube")
    first = submit_claim(world, world.new_affiliate(), "youtube", url, TRUTH)
    second = submit_claim(world, world.new_affiliate(), "youtube", url, TRUTH)

    assert alerts(first) == []
    raised = [(a.rule, a.type, a.category, a.severity) for a in alerts(second)]
    assert raised == [("R6", "SUSPICIOUS_CLAIM", "FRAUD", "HIGH")]
    priorities = {r: kw["priority"] for r, _, kw in dispatched.sent}
    assert (priorities[first], priorities[second]) == ("normal", "high")


def test_falling_into_the_critical_bucket_raises_one_trust_alert_per_crossing(
    world: Any, sim: Any, dispatched: Any
) -> None:
    affiliate = world.new_affiliate()
    with unit_of_work() as uow:
        uow.session.get(User, affiliate["id"]).trust_score = 0.30
    reports = []
    for _ in range(2):
        url = post_url("youtube")
        sim.post("youtube", url, *TRUTH)
        reports.append(submit_claim(world, affiliate, "youtube", url, (1600, 50, 5)))
        assert run_attempt(Job(reports[-1], 1)) == "AFFILIATE_OVERCLAIMED"

    rules = [sorted(a.rule for a in alerts(r)) for r in reports]
    assert rules == [["R1", "R4"], ["R1"]]  # 0.30 -> 0.20 crosses; 0.20 -> 0.10 does not
    (r4,) = [a for a in alerts(reports[0]) if a.rule == "R4"]
    assert (r4.type, r4.category, r4.severity) == ("TRUST_THRESHOLD", "FRAUD", "HIGH")
    assert trust(affiliate["id"]) == pytest.approx(0.10)


def test_an_alert_commits_with_its_outcome_or_not_at_all(
    world: Any, sim: Any, dispatched: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = post_url("youtube")
    sim.post("youtube", url, *TRUTH)
    affiliate = world.new_affiliate()
    report_id = submit_claim(world, affiliate, "youtube", url, (1600, 50, 5))

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("alert store unavailable")

    # The alert store is an edge this test breaks on purpose, inside the batch's transaction.
    monkeypatch.setattr(effects, "raise_alert", broken)
    assert run_attempt(Job(report_id, 1)) is None  # a failed run of this job alone

    assert (attempts(report_id), ledger(report_id)) == ([], [])
    assert (log_of(report_id).status, trust(affiliate["id"])) == ("PENDING", pytest.approx(0.5))
    assert (log_of(report_id).failures, log_of(report_id).last_failure) == (
        1, "RuntimeError: alert store unavailable")


def test_every_earlier_incomplete_attempt_counts_toward_the_additional_attempts(
    world: Any, sim: Any, dispatched: Any
) -> None:
    url = post_url("youtube")
    sim.post("youtube", url, TRUTH[0], omit=["views"])
    report_id = submit_claim(world, world.new_affiliate(), "youtube", url, TRUTH)
    # The post's tracked link counted the claimed clicks and conversions; views are absent.
    tracking = FakeTracking()
    tracking.link(log_post(report_id), TRUTH[1], TRUTH[2])
    for n in (1, 2):
        assert run_attempts([Job(report_id, n, trigger="rerun")],
                            counters=tracking.counters()) == ["INCOMPLETE_PLATFORM_DATA"]

    target = load_target(Job(report_id, 3, trigger="rerun"))

    assert target is not None and target.incomplete_attempts == 2

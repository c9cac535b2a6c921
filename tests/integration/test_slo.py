"""The SLO table: five runbook signals over their windows, each {value, target, ok}."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from reconcile.observability.store import RECENT_SUBMISSIONS
from reconcile.observability.store import client as metrics_redis
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Attempt, ReconciliationLog, Report
from reconcile.services.reads import slo
from tests.conftest import wait_for
from tests.integration.flows import post_url, submit_claim

# The runbook's signals and targets (operations spec, "Health and SLOs").
TARGETS = [
    ("submission_latency_median_ms", 150.0),
    ("attempt_duration_p95_ms", 1000.0),
    ("first_reconciliation_p95_seconds", 5.0),
    ("queue_depth", 100.0),
    ("missing_terminal_ratio", 0.05),
]


@pytest.mark.parametrize(("signal", "target"), TARGETS)
def test_the_endpoint_reports_each_runbook_signal_against_its_target(
    client: Any, world: Any, signal: str, target: float
) -> None:
    resp = client.get("/api/v1/ops/slo", headers=world.auth(world.analyst))
    assert resp.status_code == 200
    row = resp.get_json()[signal]
    assert row["target"] == target
    assert row["ok"] == (row["value"] is None or row["value"] < target)


@pytest.mark.parametrize(("values", "q", "expected"), [
    ([], 0.5, None), ([7.0], 0.95, 7.0), ([3.0, 1.0, 2.0], 0.5, 2.0),
    ([float(i) for i in range(1, 101)], 0.95, 95.0), ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0),
])
def test_quantiles_take_the_nearest_rank(values: list[float], q: float,
                                         expected: float | None) -> None:
    assert slo.quantile(values, q) == expected


def _report_at(world: Any, dispatched: Any, submitted: datetime, status: str,
               waits: list[float], terminal: bool) -> None:
    """A report submitted at `submitted` with attempts finished `waits` seconds later."""
    report_id = submit_claim(world, world.new_affiliate(), "youtube", post_url("youtube"),
                             (100, 1, 0))
    with unit_of_work() as uow:
        s = uow.session
        s.get(Report, report_id).submitted_at = submitted
        for number, wait in enumerate(waits, start=1):
            s.add(Attempt(report_id=report_id, attempt_number=number, status=status,
                          confidence_ratio=1.0, rules_version="t", started_at=submitted,
                          finished_at=submitted + timedelta(seconds=wait),
                          duration_ms=wait * 100))
        rlog = s.scalars(select(ReconciliationLog)
                         .where(ReconciliationLog.report_id == report_id)).one()
        rlog.status, rlog.is_terminal = status, terminal


def test_attempt_time_first_reconciliation_and_missing_ratio_come_from_the_window(
    world: Any, dispatched: Any
) -> None:
    # A window of its own, years ahead, so no other test's rows fall into it.
    now = datetime(2100, 1, 1, tzinfo=UTC) + timedelta(days=random.randint(0, 10**5))
    minute = timedelta(minutes=1)
    _report_at(world, dispatched, now - 10 * minute, "MATCHED", [2.0], True)
    _report_at(world, dispatched, now - 20 * minute, "MATCHED", [4.0, 30.0], True)
    _report_at(world, dispatched, now - 30 * minute, "MISSING_PLATFORM_DATA", [8.0], True)
    _report_at(world, dispatched, now - 40 * minute, "MATCHED", [], False)  # still waiting
    _report_at(world, dispatched, now - 3 * 60 * minute, "MISSING_PLATFORM_DATA", [1.0], True)
    values = slo.measure(now)
    # Attempts of the last hour took 200, 400, 3000, 800 ms; first results 2, 4, 8 s.
    assert values["attempt_duration_p95_ms"] == 3000.0
    assert values["first_reconciliation_p95_seconds"] == 8.0
    # Settled in 24 h: 2 missing of 4.
    assert values["missing_terminal_ratio"] == 0.5
    report = slo.slo_report(now)
    assert report["first_reconciliation_p95_seconds"] == {"value": 8.0, "target": 5.0,
                                                          "ok": False}
    assert report["missing_terminal_ratio"]["ok"] is False


def test_the_median_submission_latency_comes_from_the_apis_recent_samples(
    client: Any, world: Any, dispatched: Any
) -> None:
    metrics_redis().delete(RECENT_SUBMISSIONS)
    affiliate = world.new_affiliate()
    for _ in range(3):
        resp = client.post("/api/v1/submissions", headers=world.auth(affiliate), json={
            "campaign_id": world.campaign_id, "platform": "youtube",
            "url": post_url("youtube"), "claimed_views": 10, "claimed_clicks": 1,
            "claimed_conversions": 0})
        assert resp.status_code == 202
    measured = slo.measure()["submission_latency_median_ms"]  # sends this process's buffer
    samples = sorted(float(raw.decode().split(":")[1]) * 1000
                     for raw in metrics_redis().lrange(RECENT_SUBMISSIONS, 0, -1))
    assert len(samples) == 3
    assert measured == samples[1] > 0


def test_buffered_latency_samples_reach_redis_without_anyone_asking(
    client: Any, world: Any, dispatched: Any
) -> None:
    metrics_redis().delete(RECENT_SUBMISSIONS)
    resp = client.post("/api/v1/submissions", headers=world.auth(world.new_affiliate()), json={
        "campaign_id": world.campaign_id, "platform": "youtube", "url": post_url("youtube"),
        "claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 0})
    assert resp.status_code == 202

    # The process's flusher sends them within FLUSH_SECONDS; nothing here reads through it.
    wait_for(lambda: metrics_redis().llen(RECENT_SUBMISSIONS) == 1, 10, 0.05,
             what="the submission's latency sample to be flushed to Redis")


def test_a_deep_queue_misses_its_target(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slo, "queue_depths", lambda: {"high": 60, "normal": 50, "low": 0})
    assert slo.slo_report()["queue_depth"] == {"value": 110.0, "target": 100.0, "ok": False}

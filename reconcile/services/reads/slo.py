"""The runbook's five service-level signals over a recent window, each against its target.

- submission_latency_median_ms: median of the API's recent submission latencies (the last
  hour of the samples the API keeps in Redis).
- attempt_duration_p95_ms: p95 of attempts.duration_ms, attempts finished in the last hour.
- first_reconciliation_p95_seconds: p95 of submitted_at -> first attempt's finished_at, over
  reports submitted in the last hour that have one (those still waiting are not counted).
- queue_depth: the ready jobs in all queues now.
- missing_terminal_ratio: share of reports submitted in the last 24 h and settled for good
  whose final status is MISSING_PLATFORM_DATA.

A signal without samples has value None and counts as met.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select

from reconcile.broker import queue_depths
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Attempt, ReconciliationLog, Report

TARGETS = {
    "submission_latency_median_ms": 150.0,
    "attempt_duration_p95_ms": 1000.0,
    "first_reconciliation_p95_seconds": 5.0,
    "queue_depth": 100.0,
    "missing_terminal_ratio": 0.05,
}
SAMPLE_LIMIT = 20_000  # newest rows read per signal: bounds the cost on a busy hour


def quantile(values: Sequence[float], q: float) -> float | None:
    """Return the q-quantile (nearest rank) of values, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _recent_submission_ms(since: float) -> list[float]:
    from reconcile.observability.store import RECENT_SUBMISSIONS, client, flush

    flush()  # this process's samples still waiting for their flush
    out = []
    for raw in cast(list[bytes], client().lrange(RECENT_SUBMISSIONS, 0, -1)):
        stamp, seconds = raw.decode().split(":")
        if float(stamp) >= since:
            out.append(float(seconds) * 1000)
    return out


def measure(now: datetime | None = None) -> dict[str, float | None]:
    """Return each signal's current value."""
    now = now or datetime.now(UTC)
    hour, day = now - timedelta(hours=1), now - timedelta(hours=24)
    with unit_of_work() as uow:
        s = uow.session
        durations = s.scalars(
            select(Attempt.duration_ms).where(Attempt.finished_at.between(hour, now))
            .order_by(Attempt.finished_at.desc()).limit(SAMPLE_LIMIT)
        ).all()
        firsts = s.execute(
            select(Report.submitted_at, func.min(Attempt.finished_at))
            .join(Attempt, Attempt.report_id == Report.id)
            .where(Report.submitted_at.between(hour, now)).group_by(Report.id, Report.submitted_at)
            .limit(SAMPLE_LIMIT)
        ).all()
        settled = s.execute(
            select(ReconciliationLog.status, func.count()).join(Report)
            .where(Report.submitted_at.between(day, now), ReconciliationLog.is_terminal)
            .group_by(ReconciliationLog.status)
        ).all()
    waits = [(done - sub).total_seconds() for sub, done in firsts if done]
    total = sum(int(n) for _, n in settled)
    missing = sum(int(n) for status, n in settled if status == "MISSING_PLATFORM_DATA")
    return {
        "submission_latency_median_ms": quantile(_recent_submission_ms(time.time() - 3600), 0.5),
        "attempt_duration_p95_ms": quantile([float(d) for d in durations], 0.95),
        "first_reconciliation_p95_seconds": quantile(waits, 0.95),
        "queue_depth": float(sum(queue_depths().values())),
        "missing_terminal_ratio": missing / total if total else None,
    }


def slo_report(now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Return each signal as {value, target, ok}."""
    values = measure(now)
    return {
        name: {"value": None if v is None else round(v, 4), "target": TARGETS[name],
               "ok": v is None or v < TARGETS[name]}
        for name, v in values.items()
    }

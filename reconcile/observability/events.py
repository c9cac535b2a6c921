"""One-line hooks the services call when something worth counting happens."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from reconcile.observability.store import Op, count, observe, record, record_later

perf = logging.getLogger("performance")


def attempts_committed(attempts: Sequence[tuple[str, str | None, str | None]],
                       started: float) -> Callable[[], None]:
    """Return what to record once a batch of attempts commits, in one round trip.

    Each attempt is (status, missing reason or None, trust bucket or None); every attempt of
    the batch took the batch's time so far.
    """
    def send() -> None:
        elapsed = time.perf_counter() - started
        ops: list[Op] = []
        for status, missing_reason, bucket in attempts:
            ops += count("reconciliation_status_total", status=str(status))
            ops += observe("reconciliation_attempt_duration_seconds", elapsed)
            if missing_reason:
                ops += count("missing_reason_total", reason=missing_reason)
            if bucket:
                ops += count("trust_score_bucket_total", bucket=bucket)
        record(_summed(ops))
    return send


def _summed(ops: list[Op]) -> list[Op]:
    """Fold increments of the same field into one (the stored totals come out the same)."""
    totals: dict[tuple[str, str, str], float] = {}
    for command, key, field, amount in ops:
        totals[(command, key, field)] = totals.get((command, key, field), 0) + amount
    return [(command, key, field, amount) for (command, key, field), amount in totals.items()]


def deferred(reason: str | None) -> None:
    """Count a job deferred without an attempt (circuit open, platform disabled)."""
    record(count("missing_reason_total", reason=reason or "unknown"))


def alert_created(alert_type: str, severity: str) -> Callable[[], None]:
    """Return what to record once the alert commits."""
    return lambda: record(count("alert_created_total", type=alert_type, severity=severity))


def breaker_transition(platform: str, state: str) -> None:
    """Count a breaker's move into state."""
    record(count("breaker_transitions_total", platform=platform, state=state))


def submitted(started: float, **extra: Any) -> None:
    """Record a submission's latency (histogram, recent samples) and log its performance line."""
    seconds = time.perf_counter() - started
    record_later(observe("submission_latency_seconds", seconds), recent_submission=seconds)
    perf.info("Performance: submit_new_post",
              extra={**extra, "duration_ms": round(seconds * 1000, 2), "performance": True})

"""One-line hooks the services call when something worth counting happens."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from reconcile.observability.store import count, observe, record

perf = logging.getLogger("performance")


def attempt_committed(session: Any, affiliate_id: int, status: str,
                      missing_reason: str | None, started: float) -> Callable[[], None]:
    """Return what to record once the attempt commits (status, time, reason, bucket)."""
    from reconcile.bootstrap import active_rules
    from reconcile.persistence.models import User
    from reconcile.rules.trust import bucket_for

    # The affiliate row is in the session already (locked by the effects): no query.
    user = session.get(User, affiliate_id)
    bucket = bucket_for(user.trust_score, active_rules().trust) if user else None

    def send() -> None:
        record(
            count("reconciliation_status_total", status=str(status)),
            observe("reconciliation_attempt_duration_seconds", time.perf_counter() - started),
            count("missing_reason_total", reason=missing_reason) if missing_reason else (),
            count("trust_score_bucket_total", bucket=bucket) if bucket else (),
        )
    return send


def deferred(reason: str | None) -> None:
    """Count a job deferred without an attempt (circuit open, platform disabled)."""
    record(count("missing_reason_total", reason=reason or "unknown"))


def alert_created(alert_type: str, severity: str) -> Callable[[], None]:
    """Return what to record once the alert commits."""
    return lambda: record(count("alert_created_total", type=alert_type, severity=severity))


def breaker_transition(platform: str, state: str) -> None:
    """Count a breaker's move into state."""
    record(count("breaker_state_total", platform=platform, state=state))


def submitted(started: float, **extra: Any) -> None:
    """Record a submission's latency (histogram, recent samples) and log its performance line."""
    seconds = time.perf_counter() - started
    record(observe("submission_latency_seconds", seconds), recent_submission=seconds)
    perf.info("Performance: submit_new_post",
              extra={**extra, "duration_ms": round(seconds * 1000, 2), "performance": True})

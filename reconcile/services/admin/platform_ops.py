"""Operate the platforms: breaker states, resuming waiting reports, the outage alert (R5)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.dispatch import NextAttempt, send_attempts
from reconcile.persistence.db import UnitOfWork, unit_of_work
from reconcile.persistence.models import Post, ReconciliationLog, Report
from reconcile.platforms import breaker
from reconcile.rules import outage_alert
from reconcile.rules.retry import DEFERRAL_REASONS
from reconcile.services.alerts.raising import raise_alert
from reconcile.vocabulary import PLATFORMS

log = logging.getLogger("reconcile.platforms.ops")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def breaker_states(now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Return every platform's breaker as the pool shares it."""
    states = {}
    for platform in PLATFORMS:
        snap = breaker.snapshot(platform, now)
        states[platform] = {
            "state": snap.state, "fail_counter": snap.fail_counter,
            "opened_at": _iso(snap.opened_at), "down_since": _iso(snap.down_since),
            "seconds_until_half_open": snap.seconds_until_half_open,
        }
    return states


def breaker_state(platform: str) -> str:
    """Return one platform's breaker state, or "unknown" when Redis does not answer."""
    try:
        return breaker.snapshot(platform).state
    except redis.RedisError:
        return "unknown"


def dispatch_waiting(uow: UnitOfWork, platform: str) -> int:
    """After uow commits, dispatch the platform's deferred reports so they resume now."""
    rows = uow.session.execute(
        select(ReconciliationLog.report_id, ReconciliationLog.attempt_count, Report.priority)
        .join(Report, Report.id == ReconciliationLog.report_id)
        .join(Post, Post.id == Report.post_id)
        .where(Post.platform == platform, ReconciliationLog.is_terminal.is_(False),
               ReconciliationLog.missing_reason.in_(sorted(DEFERRAL_REASONS)))
    ).all()

    def send() -> None:
        # A deferred job spent no attempt: its next attempt is attempt_count + 1. The old
        # countdown message for it becomes a no-op once this one has run.
        send_attempts(NextAttempt(r.report_id, r.attempt_count + 1, r.priority, "retry")
                      for r in rows)
        log.info("Platform re-enabled; waiting reports dispatched",
                 extra={"platform": platform, "outcome": f"{len(rows)} reports"})

    uow.after_commit(send)
    return len(rows)


def raise_outage_alerts(now: datetime | None = None) -> list[str]:
    """Raise R5 for each platform down longer than the rules allow; return those alerted."""
    now = now or datetime.now(UTC)
    rules = active_rules().alerts
    raised = []
    for platform in PLATFORMS:
        snap = breaker.snapshot(platform, now)
        if snap.state == breaker.CLOSED or snap.down_since is None:
            continue
        spec = outage_alert(platform, (now - snap.down_since).total_seconds() / 60, rules)
        if spec is None:
            continue
        with unit_of_work() as uow:
            alert = raise_alert(uow.session, spec, report_id=None, affiliate_id=None,
                                platform=platform,
                                dedupe_key=f"R5:{platform}:{snap.down_since.isoformat()}")
        if alert is not None:
            raised.append(platform)
    return raised

"""Store alerts: at most one per (report, rule), inside the caller's transaction."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reconcile.dispatch import get_dispatcher
from reconcile.observability import events as observe
from reconcile.persistence.db import after_commit
from reconcile.persistence.models import Alert
from reconcile.rules import AlertSpec

log = logging.getLogger("reconcile.alerts")

_LOG_NAMES = {
    "R1": "overclaim", "R2": "high discrepancy", "R3": "missing data",
    "R4": "trust threshold", "R5": "platform outage", "R6": "suspicious claim",
}


def raise_alert(
    session: Session, spec: AlertSpec, *, report_id: int | None, affiliate_id: int | None,
    platform: str | None, dedupe_key: str | None = None,
) -> Alert | None:
    """Insert the alert unless its cause already has one; return the new alert or None."""
    key = dedupe_key or f"{report_id}:{spec.rule}"
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == key)) is not None:
        return None
    alert = Alert(
        rule=spec.rule, dedupe_key=key, type=spec.type, category=spec.category,
        severity=spec.severity, title=spec.title, message=spec.message,
        affiliate_id=affiliate_id, platform=platform, report_id=report_id,
        threshold_breached=dict(spec.threshold_breached), status="OPEN",
    )
    try:
        # A savepoint, so a racing twin's alert makes this one a no-op, not a failed attempt.
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return None
    log.info(
        f"Created {_LOG_NAMES.get(spec.rule, spec.type.lower())} alert",
        extra={"report_id": report_id, "platform": platform, "severity": spec.severity,
               "rule": spec.rule},
    )
    alert_id = alert.id
    after_commit(session, lambda: _schedule_delivery(alert_id))
    after_commit(session, observe.alert_created(spec.type, spec.severity))
    return alert


def _schedule_delivery(alert_id: int) -> None:
    """Queue the alert's webhook delivery; the alert sweep resends it if this fails."""
    try:
        get_dispatcher().deliver_alert(alert_id)
    except Exception as exc:  # noqa: BLE001 - the cause has committed; never fail it now
        log.warning("Alert delivery dispatch failed", extra={"error_code": type(exc).__name__})

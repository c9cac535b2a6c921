"""Store alerts: at most one per (report, rule), inside the caller's transaction."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from reconcile.config import load_settings
from reconcile.dispatch import get_dispatcher
from reconcile.observability import events as observe
from reconcile.persistence.db import after_commit
from reconcile.persistence.models import Alert, utcnow
from reconcile.rules import AlertSpec
from reconcile.services.alerts.hooks import AlertChanged, alert_changed
from reconcile.vocabulary import AlertStatus

log = logging.getLogger("reconcile.alerts")

_LOG_NAMES = {
    "R1": "overclaim", "R2": "high discrepancy", "R3": "missing data",
    "R4": "trust threshold", "R5": "platform outage", "R6": "suspicious claim",
    "R8": "not owner", "R9": "post removed", "A1": "view velocity", "A2": "view engagement",
    "A3": "click rate",
}


def raise_alert(
    session: Session, spec: AlertSpec, *, report_id: int | None, affiliate_id: int | None,
    platform: str | None, dedupe_key: str | None = None,
) -> Alert | None:
    """Insert the alert unless its cause already has one; return the new alert or None."""
    values: dict[str, Any] = {
        "rule": spec.rule, "dedupe_key": dedupe_key or f"{report_id}:{spec.rule}",
        "type": spec.type, "category": spec.category, "severity": spec.severity,
        "title": spec.title, "message": spec.message, "affiliate_id": affiliate_id,
        "platform": platform, "report_id": report_id,
        "threshold_breached": dict(spec.threshold_breached), "status": AlertStatus.OPEN,
        "deliveries": [], "created_at": utcnow(),
    }
    session.flush()  # rows the caller added through the session must exist before the alert
    # One statement: a cause that already has its alert (or a racing twin's) inserts nothing.
    alert_id = session.connection().execute(
        _insert_unless_present(session.get_bind().dialect.name), values
    ).scalar()
    if alert_id is None:
        return None
    alert = Alert(id=alert_id, **values)
    log.info(
        f"Created {_LOG_NAMES.get(spec.rule, spec.type.lower())} alert",
        extra={"report_id": report_id, "platform": platform, "severity": spec.severity,
               "rule": spec.rule},
    )
    alert_changed(session, AlertChanged(alert_id, spec.type, spec.category, spec.severity,
                                        AlertStatus.OPEN, affiliate_id, report_id))
    _deliver_after_commit(session, alert_id)
    after_commit(session, observe.alert_created(spec.type, spec.severity))
    return alert


@lru_cache(maxsize=2)
def _insert_unless_present(dialect_name: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING (either unique key) RETURNING id, in the dialect."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = Alert.__table__
    return dialect.insert(table).on_conflict_do_nothing().returning(table.c.id)


_DELIVERIES = "reconcile.alert_deliveries"  # session.info key: the alerts to deliver


def _deliver_after_commit(session: Session, alert_id: int) -> None:
    """Deliver the alert once the transaction commits, in one job with the other alerts it
    raises: an attempt batch raises several, and a job each cost the workers a task per
    alert (docs/performance.md, "the alerts' jobs")."""
    pending = session.info.get(_DELIVERIES)
    if pending is None:
        pending = session.info[_DELIVERIES] = []
        after_commit(session, lambda: _schedule_delivery(session.info.pop(_DELIVERIES, [])))
    pending.append(alert_id)


def _schedule_delivery(alert_ids: list[int]) -> None:
    """Queue the alerts' webhook delivery; the alert sweep resends it if this fails.

    Not when no webhook is configured: the job would find none and do nothing, at the cost
    of a task (a fifth of a reconciliation's worker CPU in the bench, where a fifth of the
    attempts raise an alert). Its alerts keep no delivery record, so once webhooks are
    configured the alert sweep sends them, as it does a lost dispatch (within GIVE_UP_AFTER).
    """
    if not alert_ids or not load_settings().alert_webhook_urls:
        return
    dispatcher = get_dispatcher()
    try:
        if len(alert_ids) == 1:
            dispatcher.deliver_alert(alert_ids[0])
        else:
            dispatcher.deliver_alerts(alert_ids)
    except Exception as exc:  # noqa: BLE001 - the cause has committed; never fail it now
        log.warning("Alert delivery dispatch failed", extra={"error_code": type(exc).__name__})

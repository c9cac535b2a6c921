"""Alerts as people see them: list, read, resolve, count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from reconcile.errors import AlertAlreadyResolved, Forbidden, NotFound
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert
from reconcile.services.access import visible_alerts
from reconcile.services.alerts.hooks import AlertChanged, alert_changed
from reconcile.services.alerts.view import alert_view
from reconcile.services.audit import Actor, record
from reconcile.services.principal import Principal
from reconcile.vocabulary import AlertStatus, Role, Severity, values

TYPES = ("HIGH_DISCREPANCY", "MISSING_DATA", "TRUST_THRESHOLD", "PLATFORM_OUTAGE",
         "SUSPICIOUS_CLAIM", "JOB_QUARANTINED", "POST_REMOVED", "VIEW_ANOMALY")


def list_alerts(
    principal: Principal, *, after: int | None = None, limit: int = 50, **filters: Any
) -> list[dict[str, Any]]:
    q = visible_alerts(select(Alert), principal)
    for name in ("status", "type", "severity", "affiliate_id", "platform"):
        if filters.get(name) is not None:
            q = q.where(getattr(Alert, name) == filters[name])
    if after is not None:
        q = q.where(Alert.id < after)
    with unit_of_work() as uow:
        return [alert_view(a) for a in uow.session.scalars(q.order_by(Alert.id.desc())
                                                           .limit(limit))]


def get_alert(principal: Principal, alert_id: int) -> dict[str, Any]:
    with unit_of_work() as uow:
        alert = uow.session.scalars(
            visible_alerts(select(Alert).where(Alert.id == alert_id), principal)
        ).first()
        if alert is None:
            raise NotFound("no such alert")
        return alert_view(alert)


def resolve_alert(principal: Principal, alert_id: int, note: str,
                  request_id: str | None = None) -> dict[str, Any]:
    """Resolve an open alert once; a second resolve is a conflict."""
    if principal.role not in (Role.ADMIN, Role.CLIENT):
        raise Forbidden(f"role {principal.role} may not resolve alerts")
    with unit_of_work() as uow:
        s = uow.session
        visible = s.scalar(visible_alerts(select(Alert.id).where(Alert.id == alert_id),
                                          principal))
        if visible is None:
            raise NotFound("no such alert")
        # One conditional UPDATE, so two racing resolves cannot both succeed.
        done = s.execute(
            update(Alert).where(Alert.id == alert_id, Alert.status == AlertStatus.OPEN).values(
                status=AlertStatus.RESOLVED, resolved_at=datetime.now(UTC),
                resolved_by=principal.user_id or None, resolution_note=note,
            )
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            raise AlertAlreadyResolved(f"alert {alert_id} is already resolved")
        alert = s.get_one(Alert, alert_id, populate_existing=True)
        view = alert_view(alert)
        alert_changed(s, AlertChanged(alert.id, alert.type, alert.category, alert.severity,
                                      alert.status, alert.affiliate_id, alert.report_id))
        record(s, Actor.of(principal, request_id), "alert.resolved", ("alert", alert_id),
               before={"status": AlertStatus.OPEN},
               after={"status": view["status"], "resolution_note": note,
                      "resolved_at": view["resolved_at"]})
        return view


def alert_stats(now: datetime | None = None) -> dict[str, Any]:
    """Counts by status, type and severity (zeros included) and over the last 24 hours."""
    since = (now or datetime.now(UTC)) - timedelta(hours=24)
    with unit_of_work() as uow:
        s = uow.session

        def counts(column: Any, names: tuple[str, ...]) -> dict[str, int]:
            rows = s.execute(select(column, func.count()).group_by(column)).all()
            found: dict[str, int] = {name: n for name, n in rows}
            return {n: int(found.get(n, 0)) for n in names}

        return {
            "by_status": counts(Alert.status, values(AlertStatus)),
            "by_type": counts(Alert.type, TYPES),
            "by_severity": counts(Alert.severity, values(Severity)),
            "last_24h": s.scalar(select(func.count()).where(Alert.created_at >= since)) or 0,
            "resolved_last_24h": s.scalar(
                select(func.count()).where(Alert.resolved_at >= since)
            ) or 0,
        }

"""One snapshot for an incident: queues, outcomes in 24 h, breakers, open alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from reconcile.broker import queue_depths
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, ReconciliationLog, Report
from reconcile.services.admin.platform_ops import breaker_state
from reconcile.vocabulary import PLATFORMS, AlertStatus


def snapshot(now: datetime | None = None) -> dict[str, Any]:
    """Return queue depths, the 24-h status distribution, breaker states, open alerts."""
    since = (now or datetime.now(UTC)) - timedelta(hours=24)
    with unit_of_work() as uow:
        s = uow.session
        statuses = s.execute(
            select(ReconciliationLog.status, func.count()).join(Report)
            .where(Report.submitted_at >= since).group_by(ReconciliationLog.status)
        ).all()
        alerts = s.execute(
            select(Alert.severity, func.count()).where(Alert.status == AlertStatus.OPEN)
            .group_by(Alert.severity)
        ).all()
    return {
        "queue_depths": queue_depths(),
        "status_distribution_24h": {str(k): int(n) for k, n in sorted(statuses)},
        "breakers": {p: breaker_state(p) for p in PLATFORMS},
        "open_alerts_by_severity": {str(k): int(n) for k, n in sorted(alerts)},
    }

"""The batch's R2 repeat check: one query for every (affiliate, platform) of a batch."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from reconcile.persistence.models import Alert
from reconcile.rules import AlertSpec, Rules, Status
from reconcile.rules.alerts import HIGH_DISCREPANCY
from reconcile.services.reconciliation.outcome import Outcome
from reconcile.services.reconciliation.targets import Target


class RepeatCheck:
    """R2's "recent high discrepancy on this platform" for a batch.

    One query reads, per (affiliate, platform), the lowest and highest report id with such an
    alert in the window: two different ids mean every report has another one. Alerts the batch
    raises itself are added as it goes, so a later attempt sees an earlier one's alert.
    """

    def __init__(self, conn: Connection, outcomes: Iterable[Outcome], rules: Rules,
                 now: datetime) -> None:
        self.seen: dict[tuple[Any, Any], set[Any]] = {}
        wanted = {(o.target.affiliate_id, o.target.platform) for o in outcomes
                  if o.result.status == Status.DISCREPANCY_HIGH and not o.keep_outcome}
        if not wanted:
            return
        since = now - timedelta(hours=rules.alerts.repeat_window_hours)
        rows = conn.execute(
            select(Alert.affiliate_id, Alert.platform, func.min(Alert.report_id),
                   func.max(Alert.report_id))
            .where(Alert.type == HIGH_DISCREPANCY, Alert.created_at >= since,
                   Alert.affiliate_id.in_({a for a, _ in wanted}),
                   Alert.platform.in_({p for _, p in wanted}), Alert.report_id.is_not(None))
            .group_by(Alert.affiliate_id, Alert.platform)
        )
        for affiliate, platform, lowest, highest in rows:
            self.seen[(affiliate, platform)] = {lowest, highest}

    def seen_before(self, target: Target) -> bool:
        """Tell whether another report of the affiliate had one on this platform recently."""
        reports = self.seen.get((target.affiliate_id, target.platform), set())
        return bool(reports - {target.report_id})

    def raised(self, target: Target, spec: AlertSpec) -> None:
        if spec.type == HIGH_DISCREPANCY:
            self.seen.setdefault((target.affiliate_id, target.platform), set()).add(
                target.report_id)

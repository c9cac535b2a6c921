"""Reverse a conversion (a refund): it stops counting, and the post's latest report is
reconciled again, through the re-run machinery (written down before it is sent)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from reconcile.dispatch import NextAttempt, send_attempts
from reconcile.errors import NotFound
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Click, Conversion, ReconciliationLog, Report, TrackedLink
from reconcile.services.audit import Actor
from reconcile.services.audit import record as audit
from reconcile.services.principal import Principal
from reconcile.services.reconciliation.reopen import reopen
from reconcile.services.tracking.errors import AlreadyReversed
from reconcile.services.tracking.postbacks import answer, counted_event


def reverse(principal: Principal, conversion_id: int, reason: str,
            request_id: str | None = None) -> dict[str, Any]:
    """Stop counting a conversion and re-reconcile its post's latest report."""
    now = datetime.now(UTC)
    with unit_of_work() as uow:
        s = uow.session
        conversion = s.get(Conversion, conversion_id, with_for_update=True)
        if conversion is None or (principal.role == "CLIENT"
                                  and conversion.client_id != principal.client_id):
            raise NotFound("no such conversion")
        if conversion.reversed_at is not None:
            raise AlreadyReversed(f"conversion {conversion_id} was reversed at "
                                  f"{conversion.reversed_at.isoformat()}")
        conversion.reversed_at, conversion.reverse_reason = now, reason
        rerun = _rerun_latest(uow, conversion.click_id, now, request_id)
        audit(s, Actor.of(principal, request_id), "conversion.reversed",
              ("conversion", conversion_id), after={"reason": reason, "rerun": rerun})
        body = {**answer(conversion), "reverse_reason": reason, "rerun": rerun}
    counted_event("reversed")
    return body


def _rerun_latest(uow: Any, click_id: str, now: datetime,
                  request_id: str | None) -> dict[str, int] | None:
    """Reopen the latest report of the click's post and send its next attempt after commit
    (the re-run machinery: the sweep resends it if the message is lost)."""
    s = uow.session
    row = s.execute(
        select(Report.id, ReconciliationLog.attempt_count)
        .join(ReconciliationLog, ReconciliationLog.report_id == Report.id)
        .join(TrackedLink, TrackedLink.post_id == Report.post_id)
        .join(Click, Click.link_id == TrackedLink.id)
        .where(Click.click_id == click_id).order_by(Report.id.desc()).limit(1)).first()
    if row is None:
        return None  # the link has no post yet: nothing was reconciled with this conversion
    report_id, attempt = int(row.id), int(row.attempt_count) + 1
    reopen(s, [report_id], "high", "rerun", now)
    uow.after_commit(lambda: send_attempts(
        [NextAttempt(report_id, attempt, "high", "rerun", request_id=request_id)]))
    return {"report_id": report_id, "attempt": attempt}

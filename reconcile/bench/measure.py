"""Figures read back from the bench's database: terminal count, first-attempt latency."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Attempt, ReconciliationLog, Report


def terminal_count() -> int:
    with unit_of_work() as uow:
        return int(uow.session.scalar(
            select(func.count()).select_from(ReconciliationLog)
            .where(ReconciliationLog.is_terminal.is_(True))
        ) or 0)


def wait_for_terminal(expected: int, timeout: float, alive: Callable[[], None]) -> int:
    """Poll (one COUNT every 200 ms) until `expected` reports are terminal or time is up."""
    deadline = time.monotonic() + timeout
    while True:
        done = terminal_count()
        if done >= expected or time.monotonic() > deadline:
            return done
        alive()
        time.sleep(0.2)


@dataclass(frozen=True)
class Reconciled:
    first_ms: list[float]  # per report: submission to its first attempt's finish
    seconds: float  # first submission to the last terminal attempt's finish
    outcomes: dict[str, int]


def reconciled() -> Reconciled:
    with unit_of_work() as uow:
        s = uow.session
        rows = s.execute(
            select(Report.submitted_at, Attempt.finished_at)
            .join(Attempt, Attempt.report_id == Report.id)
            .where(Attempt.attempt_number == 1)
        ).all()
        first_submit = s.scalar(select(func.min(Report.submitted_at)))
        last_finish = s.scalar(
            select(func.max(Attempt.finished_at))
            .join(ReconciliationLog, ReconciliationLog.report_id == Attempt.report_id)
            .where(ReconciliationLog.is_terminal.is_(True))
        )
        outcomes = dict(s.execute(
            select(ReconciliationLog.status, func.count()).group_by(ReconciliationLog.status)
        ).all())
    first_ms = [(done - sent).total_seconds() * 1000 for sent, done in rows]
    seconds = (last_finish - first_submit).total_seconds() if first_submit and last_finish else 0
    return Reconciled(first_ms, seconds, {str(k): int(v) for k, v in outcomes.items()})

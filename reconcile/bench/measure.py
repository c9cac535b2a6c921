"""Figures read back from the bench's database: terminal count, first-attempt latency."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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
    busy_seconds: float  # first attempt's start to the last terminal attempt's finish
    outcomes: dict[str, int]


def last_report_id() -> int:
    with unit_of_work() as uow:
        return int(uow.session.scalar(select(func.max(Report.id))) or 0)


def reconciled(after_report_id: int = 0) -> Reconciled:
    """Figures for the reports with ids above after_report_id: one phase (phases run in
    turn, so the later one's reports all have higher ids)."""
    with unit_of_work() as uow:
        s = uow.session
        phase = Report.id > after_report_id
        rows = s.execute(
            select(Report.submitted_at, Attempt.finished_at)
            .join(Attempt, Attempt.report_id == Report.id)
            .where(Attempt.attempt_number == 1, phase)
        ).all()
        first_submit = s.scalar(select(func.min(Report.submitted_at)).where(phase))
        first_start = s.scalar(
            select(func.min(Attempt.started_at)).join(Report, Report.id == Attempt.report_id)
            .where(phase))
        last_finish = s.scalar(
            select(func.max(Attempt.finished_at))
            .join(ReconciliationLog, ReconciliationLog.report_id == Attempt.report_id)
            .join(Report, Report.id == Attempt.report_id)
            .where(ReconciliationLog.is_terminal.is_(True), phase)
        )
        outcomes = dict(s.execute(
            select(ReconciliationLog.status, func.count())
            .join(Report, Report.id == ReconciliationLog.report_id)
            .where(phase).group_by(ReconciliationLog.status)
        ).all())
    first_ms = [(done - sent).total_seconds() * 1000 for sent, done in rows]
    return Reconciled(first_ms, _seconds(first_submit, last_finish),
                      _seconds(first_start, last_finish),
                      {str(k): int(v) for k, v in outcomes.items()})


def _seconds(start: datetime | None, end: datetime | None) -> float:
    return (end - start).total_seconds() if start and end else 0.0

"""The sweep finds reports whose message was lost and dispatches them again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import ReconciliationLog
from reconcile.services.intake.submissions import Claim, submit
from reconcile.services.principal import Principal
from reconcile.services.reconciliation.sweeps import sweep as sweep_with_queues
from tests.conftest import unique_video_id


def sweep(now: datetime | None = None) -> int:
    """The sweep, with every queue empty (the broker is not what these tests are about)."""
    return sweep_with_queues(now, oldest_sent=lambda queue: None)


def _report(world: Any) -> int:
    principal = Principal(user_id=world.affiliate["id"], role="AFFILIATE")
    return int(
        submit(
            principal,
            campaign_id=world.campaign_id,
            platform="youtube",
            url=f"https://youtu.be/{unique_video_id()}",
            claim=Claim(10, 1, 0),
        )["report_id"]
    )


def _sent_for(dispatcher: Any, report_id: int) -> list[int]:
    return [n for r, n, _ in dispatcher.sent if r == report_id]


def test_a_report_never_attempted_is_dispatched_once_a_minute_has_passed(
    world: Any, dispatched: Any
) -> None:
    report_id = _report(world)
    dispatched.sent.clear()

    sweep(now=datetime.now(UTC) + timedelta(seconds=30))
    assert _sent_for(dispatched, report_id) == []

    sweep(now=datetime.now(UTC) + timedelta(seconds=61))
    assert _sent_for(dispatched, report_id) == [1]


def test_an_overdue_retry_is_dispatched_with_the_next_attempt_number(
    world: Any, dispatched: Any
) -> None:
    report_id = _report(world)
    with unit_of_work() as uow:
        rlog = uow.session.scalars(
            select(ReconciliationLog).where(ReconciliationLog.report_id == report_id)
        ).one()
        rlog.status, rlog.attempt_count = "MISSING_PLATFORM_DATA", 2
        rlog.scheduled_retry_at = datetime.now(UTC) - timedelta(minutes=5)
        rlog.dispatched_at = datetime.now(UTC) - timedelta(minutes=10)  # its countdown
    dispatched.sent.clear()

    sweep()

    assert _sent_for(dispatched, report_id) == [3]


def test_a_terminal_report_is_left_alone(world: Any, dispatched: Any) -> None:
    report_id = _report(world)
    with unit_of_work() as uow:
        rlog = uow.session.scalars(
            select(ReconciliationLog).where(ReconciliationLog.report_id == report_id)
        ).one()
        rlog.status, rlog.attempt_count, rlog.is_terminal = "MATCHED", 1, True
    dispatched.sent.clear()

    sweep(now=datetime.now(UTC) + timedelta(hours=1))

    assert _sent_for(dispatched, report_id) == []

"""Bulk re-reconciliation for operators: the next attempt of many reports, at low priority.

Only each post's latest report is re-run (an update supersedes the earlier claim), terminal
or not. The reports are read in pages by id, so any number of them fits in memory. Each
page is reopened before it is sent, so a lost message is sent again by the sweep, as for an
API re-run. Backpressure: a page waits while the ready queues hold more than half of
`intake.max_queue_depth`, so a bulk re-run never fills them to where submissions get
OVERLOADED.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func, select

from reconcile.bootstrap import active_rules
from reconcile.broker import queue_depths
from reconcile.dispatch import NextAttempt, get_dispatcher, send_attempts
from reconcile.errors import NotFound, ValidationFailed
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.latest import is_latest_report
from reconcile.persistence.models import Campaign, Post, ReconciliationLog, Report
from reconcile.rules import Status
from reconcile.services.audit import SYSTEM, Actor, record
from reconcile.services.reconciliation.reopen import reopen

PAGE = 500
PRIORITY, TRIGGER = "low", "rerun"
WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class Scope:
    campaign_id: int | None = None
    platform: str | None = None
    status: str | None = None
    since: datetime | None = None


def _query(scope: Scope) -> Select:
    q = (select(ReconciliationLog.report_id, ReconciliationLog.attempt_count)
         .join(Report, Report.id == ReconciliationLog.report_id)
         .join(Post, Post.id == Report.post_id)
         .where(is_latest_report()))
    if scope.campaign_id is not None:
        q = q.where(Post.campaign_id == scope.campaign_id)
    if scope.platform is not None:
        q = q.where(Post.platform == scope.platform)
    if scope.status is not None:
        q = q.where(ReconciliationLog.status == scope.status)
    if scope.since is not None:
        q = q.where(Report.submitted_at >= scope.since)
    return q


def count_in_scope(scope: Scope) -> int:
    """Check the scope and count the reports it selects."""
    if scope.campaign_id is None and scope.platform is None and scope.status is None:
        raise ValidationFailed([{"field": "scope",
                                 "message": "give --campaign, --platform or --status"}])
    if scope.status is not None and scope.status not in {s.value for s in Status}:
        raise ValidationFailed([{"field": "status", "message": f"unknown status {scope.status}"}])
    with unit_of_work() as uow:
        if scope.campaign_id is not None and uow.session.get(Campaign, scope.campaign_id) is None:
            raise NotFound(f"no campaign {scope.campaign_id}")
        return int(uow.session.scalar(select(func.count()).select_from(_query(scope).subquery()))
                   or 0)


def _room(depths: Callable[[], dict[str, int]]) -> bool:
    return sum(depths().values()) <= active_rules().intake.max_queue_depth // 2


def rereconcile(scope: Scope, actor: Actor = SYSTEM, *,
                depths: Callable[[], dict[str, int]] = queue_depths,
                wait: Callable[[float], None] = time.sleep) -> Iterator[tuple[int, int]]:
    """Reopen and dispatch each report's next attempt; yield (sent, seen) after every page,
    and (0, 0) while waiting for room in the queues."""
    dispatcher, after, first = get_dispatcher(), 0, True
    while True:
        while not _room(depths):
            yield 0, 0
            wait(WAIT_SECONDS)
        with unit_of_work() as uow:
            page = uow.session.execute(
                _query(scope).where(ReconciliationLog.report_id > after)
                .order_by(ReconciliationLog.report_id).limit(PAGE)
            ).all()
            if first:
                record(uow.session, actor, "reconciliation.bulk_rerun", ("scope", _label(scope)),
                       after={k: v.isoformat() if isinstance(v, datetime) else v
                              for k, v in asdict(scope).items()})
                first = False
            reopen(uow.session, [r.report_id for r in page], PRIORITY, TRIGGER,
                   datetime.now(UTC))
        if not page:
            return
        sent = send_attempts((NextAttempt(r.report_id, r.attempt_count + 1, PRIORITY, TRIGGER)
                              for r in page), dispatcher)
        after = page[-1].report_id
        yield sent, len(page)


def _label(scope: Scope) -> str:
    return ",".join(f"{k}={v}" for k, v in asdict(scope).items() if v is not None)[:128]

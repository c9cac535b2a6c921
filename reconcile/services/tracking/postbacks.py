"""Conversion postbacks: record one (idempotent on the client's event_id), and reverse one.

A postback names the click it follows. Its status is decided once, when it arrives:
`filtered_click` when that click was filtered, `outside_window` when it occurred more than
the campaign's attribution window after the click (or before it), else `counted`. The same
event_id again answers the first answer and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.dispatch import get_dispatcher
from reconcile.errors import NotFound, ValidationFailed
from reconcile.observability.store import count, record
from reconcile.persistence.db import serialise_on, unit_of_work
from reconcile.persistence.models import (
    Campaign,
    Click,
    Conversion,
    ReconciliationLog,
    Report,
    TrackedLink,
)
from reconcile.services.audit import Actor
from reconcile.services.audit import record as audit
from reconcile.services.principal import Principal
from reconcile.services.reopen import reopen
from reconcile.services.tracking import clicks
from reconcile.services.tracking.currencies import is_currency
from reconcile.services.tracking.errors import AlreadyReversed, BadSignature, UnknownClick
from reconcile.services.tracking.postback_secrets import verifies

COUNTED, OUTSIDE_WINDOW, FILTERED_CLICK = "counted", "outside_window", "filtered_click"
# A conversion may be reported as a little in the future (clocks differ), not more.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Postback:
    click_id: str
    event_id: str
    amount_minor: int | None = None
    currency: str | None = None
    occurred_at: datetime | None = None


def _check(p: Postback, now: datetime) -> None:
    errors = []
    if (p.amount_minor is None) != (p.currency is None):
        errors.append({"field": "currency" if p.currency is None else "amount_minor",
                       "message": "amount_minor and currency go together"})
    if p.currency is not None and not is_currency(p.currency):
        errors.append({"field": "currency", "message": "not an ISO 4217 currency code"})
    if p.occurred_at is not None and p.occurred_at > now + CLOCK_SKEW:
        errors.append({"field": "occurred_at", "message": "is in the future"})
    if errors:
        raise ValidationFailed(errors)


def _click(session: Session, click_id: str) -> Any:
    return session.execute(
        select(Click.click_id, Click.counted, Click.clicked_at, Campaign.client_id,
               Campaign.attribution_window_days)
        .join(TrackedLink, TrackedLink.id == Click.link_id)
        .join(Campaign, Campaign.id == TrackedLink.campaign_id)
        .where(Click.click_id == click_id)).first()


def _known_click(session: Session, click_id: str) -> Any:
    """The click, written first if it still waits in Redis: a fast buyer's postback can
    arrive before the writer's next batch."""
    click = _click(session, click_id)
    if click is None:
        session.commit()  # end the transaction: on SQLite it would lock the writer out
        clicks.flush_clicks(max_seconds=2.0)
        click = _click(session, click_id)
    return click


def status_of(click_counted: bool, clicked_at: datetime, occurred_at: datetime,
              window_days: int) -> str:
    clicked_at = _utc(clicked_at)
    if not click_counted:
        return FILTERED_CLICK
    if occurred_at < clicked_at or occurred_at - clicked_at > timedelta(days=window_days):
        return OUTSIDE_WINDOW
    return COUNTED


def _utc(when: datetime) -> datetime:
    # SQLite hands stored times back without their zone; every stored time is UTC.
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def answer(c: Conversion) -> dict[str, Any]:
    return {"conversion_id": c.id, "status": c.status, "click_id": c.click_id,
            "event_id": c.event_id, "amount_minor": c.amount_minor, "currency": c.currency,
            "occurred_at": _utc(c.occurred_at).isoformat(),
            "reversed_at": _utc(c.reversed_at).isoformat() if c.reversed_at else None}


def record_postback(principal: Principal | None, p: Postback, *,
                    signed: tuple[str, str | None] | None = None) -> tuple[dict[str, Any], int]:
    """Record the postback; return (answer, 201) or, for an event_id seen before, (the first
    answer, 200). `principal` is the caller of the JSON route; the pixel passes `signed`
    (the text it signed, its signature) instead, checked against the click's client."""
    now = datetime.now(UTC)
    _check(p, now)
    with unit_of_work() as uow:
        s = uow.session
        click = _known_click(s, p.click_id)
        if click is None or (principal is not None and principal.role == "CLIENT"
                             and principal.client_id != click.client_id):
            _counted("unknown_click")
            raise UnknownClick(f"no click {p.click_id[:64]} of yours is known")
        if signed is not None and not verifies(s, click.client_id, *signed):
            _counted("bad_signature")
            raise BadSignature("the signature does not match the client's postback secret")
        serialise_on(s, f"postback:{click.client_id}:{p.event_id}")
        first = s.scalars(select(Conversion).where(Conversion.client_id == click.client_id,
                                                   Conversion.event_id == p.event_id)).first()
        if first is not None:
            _counted("replayed")
            return answer(first), 200
        occurred = p.occurred_at or now
        conversion = Conversion(
            client_id=click.client_id, event_id=p.event_id, click_id=p.click_id,
            amount_minor=p.amount_minor, currency=p.currency, occurred_at=occurred,
            received_at=now,
            status=status_of(click.counted, click.clicked_at, occurred,
                             click.attribution_window_days))
        s.add(conversion)
        s.flush()
        body = answer(conversion)
    _counted(body["status"])
    return body, 201


def _counted(outcome: str) -> None:
    record(count("postbacks_total", outcome=outcome))


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
    _counted("reversed")
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
    uow.after_commit(lambda: get_dispatcher().reconcile(
        report_id, attempt, priority="high", trigger="rerun", request_id=request_id))
    return {"report_id": report_id, "attempt": attempt}

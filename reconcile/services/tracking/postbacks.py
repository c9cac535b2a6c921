"""Conversion postbacks: record one, idempotent on the client's event_id (a reversal, which
re-reconciles, is reconcile.services.reconciliation.reversal).

A postback names the click it follows. Its status is decided once, when it arrives:
`filtered_click` when that click was filtered, `outside_window` when it occurred more than
the campaign's attribution window after the click (or before it), else `counted`. The same
event_id again answers the first answer and records nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from reconcile.errors import ValidationFailed
from reconcile.observability.store import count, record_later
from reconcile.persistence.db import single_statements
from reconcile.persistence.models import Campaign, Click, Conversion, TrackedLink, table_of
from reconcile.services.principal import Principal
from reconcile.services.tracking import clicks
from reconcile.services.tracking.currencies import is_currency
from reconcile.services.tracking.errors import BadSignature, UnknownClick
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


# Built once: a postback is a hot write path, and building a statement per request was a
# fifth of its CPU.
_CLICK = (select(Click.click_id, Click.counted, Click.clicked_at, Campaign.client_id,
                 Campaign.attribution_window_days)
          .join(TrackedLink, TrackedLink.id == Click.link_id)
          .join(Campaign, Campaign.id == TrackedLink.campaign_id)
          .where(Click.click_id == bindparam("click_id")))
_conversions = table_of(Conversion)
_FIRST = select(_conversions).where(_conversions.c.client_id == bindparam("client_id"),
                                    _conversions.c.event_id == bindparam("event_id"))


@cache
def _insert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (client_id, event_id) DO NOTHING RETURNING the row: the unique
    constraint decides which of two racing postbacks is first (the other's insert waits for
    it, then returns nothing and reads the first answer), without a lock of our own."""
    made = (postgresql.insert(_conversions) if dialect == "postgresql"
            else sqlite.insert(_conversions))
    return (made.on_conflict_do_nothing(index_elements=["client_id", "event_id"])
            .returning(*_conversions.c))


def _click(conn: Connection, click_id: str) -> Any:
    return conn.execute(_CLICK, {"click_id": click_id}).first()


# How long a postback waits for a click that another writer has read and is writing now.
IN_FLIGHT_SECONDS = 2.0


def _known_click(conn: Connection, click_id: str) -> Any:
    """The click, written first if it still waits in Redis: a fast buyer's postback can
    arrive before the writer's next batch. If a beat writer has just taken that batch, the
    click is in its hands, not the stream's: wait (a little) for its commit. (Each look is
    a statement of its own, so it sees what committed before it.)"""
    click = _click(conn, click_id)
    if click is None:
        clicks.flush_clicks(max_seconds=2.0)
        click = _click(conn, click_id)
        deadline = time.monotonic() + IN_FLIGHT_SECONDS
        while click is None and time.monotonic() < deadline and clicks.in_flight():
            time.sleep(0.05)
            click = _click(conn, click_id)
    return click


def status_of(click_counted: bool, clicked_at: datetime, occurred_at: datetime,
              window_days: int) -> str:
    if not click_counted:
        return FILTERED_CLICK
    if occurred_at < clicked_at or occurred_at - clicked_at > timedelta(days=window_days):
        return OUTSIDE_WINDOW
    return COUNTED


def answer(c: Any) -> dict[str, Any]:
    """The postback's answer, from a conversion (a model or a row of its columns)."""
    return {"conversion_id": c.id, "status": c.status, "click_id": c.click_id,
            "event_id": c.event_id, "amount_minor": c.amount_minor, "currency": c.currency,
            "occurred_at": c.occurred_at.isoformat(),
            "reversed_at": c.reversed_at.isoformat() if c.reversed_at else None}


def record_postback(principal: Principal | None, p: Postback, *,
                    signed: tuple[str, str | None] | None = None) -> tuple[dict[str, Any], int]:
    """Record the postback; return (answer, 201) or, for an event_id seen before, (the first
    answer, 200). `principal` is the caller of the JSON route; the pixel passes `signed`
    (the text it signed, its signature) instead, checked against the click's client."""
    now = datetime.now(UTC)
    _check(p, now)
    # No transaction: the click is written once and never changes, and the unique
    # (client_id, event_id) decides between racing postbacks (see _insert). Each statement
    # commits by itself: two round trips for a new conversion instead of four.
    with single_statements() as conn:
        click = _known_click(conn, p.click_id)
        if click is None or (principal is not None and principal.role == "CLIENT"
                             and principal.client_id != click.client_id):
            counted_event("unknown_click")
            raise UnknownClick(f"no click {p.click_id[:64]} of yours is known")
        if signed is not None and not verifies(conn, click.client_id, *signed):
            counted_event("bad_signature")
            raise BadSignature("the signature does not match the client's postback secret")
        occurred = p.occurred_at or now
        made = _made(conn, {
            "client_id": click.client_id, "event_id": p.event_id, "click_id": p.click_id,
            "amount_minor": p.amount_minor, "currency": p.currency, "occurred_at": occurred,
            "received_at": now, "status": status_of(click.counted, click.clicked_at, occurred,
                                                    click.attribution_window_days)})
        if made is None:
            first = conn.execute(_FIRST, {"client_id": click.client_id,
                                          "event_id": p.event_id}).one()
            counted_event("replayed")
            return answer(first), 200
        body = answer(made)
    counted_event(body["status"])
    return body, 201


def _made(conn: Connection, values: dict[str, Any]) -> Any:
    """The conversion inserted, or None when the client's event_id was recorded before."""
    return conn.execute(_insert(conn.dialect.name), values).first()


def counted_event(outcome: str) -> None:
    # Buffered, like a submission's latency: a postback is a hot write, and a round trip
    # of its own to Redis was a sixth of its CPU.
    record_later(count("postbacks_total", outcome=outcome))

"""Payouts: per affiliate and currency, the approved entries (clawbacks netted) up to a
period's end, paid in one transaction; the same period again writes nothing."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from reconcile.errors import NotFound, ValidationFailed
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import EarningEntry, Payout, PayoutStatement, User, table_of
from reconcile.services.audit import Actor, record
from reconcile.text import spreadsheet_safe

CSV_COLUMNS = ("payout_id", "period_end", "affiliate_id", "currency", "amount_minor",
               "entry_ids")


def run_payout(period_end: date, min_payout_minor: int, actor: Actor,
               now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Pay every balance due up to period_end; return (the payout, whether it is new).

    The payout row is inserted first: a second run for the period (or a racing one) meets
    the unique period_end, writes nothing and returns the payout already made.
    """
    if min_payout_minor < 0:
        raise ValidationFailed([{"field": "min_payout_minor", "message": "must be >= 0"}])
    now = now or datetime.now(UTC)
    with unit_of_work() as uow:
        s = uow.session
        table = table_of(Payout)
        dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
        payout_id = s.execute(dialect.insert(table).values(
            period_end=period_end, min_payout_minor=min_payout_minor,
            created_by=actor.label, created_at=now).on_conflict_do_nothing()
            .returning(table.c.id)).scalar()
        if payout_id is None:
            existing = s.scalars(select(Payout).where(Payout.period_end == period_end)).one()
            return payout_view(s, existing), False
        statements = _pay(s, int(payout_id), period_end, min_payout_minor, now)
        record(s, actor, "payout.created", ("payout", payout_id),
               after={"period_end": period_end.isoformat(),
                      "min_payout_minor": min_payout_minor,
                      "statements": len(statements),
                      "total_minor": {c: sum(st["amount_minor"] for st in statements
                                             if st["currency"] == c)
                                      for c in sorted({st["currency"] for st in statements})}})
        return payout_view(s, s.get_one(Payout, payout_id)), True


def _pay(s: Session, payout_id: int, period_end: date, minimum: int,
         now: datetime) -> list[dict[str, Any]]:
    """Lock the approved entries up to the period's end, pay each balance that reaches the
    minimum and is above zero; the rest carry over, untouched.

    An affiliate whose earnings another transaction is changing right now (a settle, a
    hold) is waited for; entries the approval task holds right now are skipped: they stay
    approved and go in the next payout.
    """
    end = datetime.combine(period_end + timedelta(days=1), time(0), tzinfo=UTC)
    due = (EarningEntry.status == "approved", EarningEntry.created_at < end)
    owed = select(EarningEntry.affiliate_id).where(*due).distinct()
    # The affiliates' own locks first, in id order, as every writer of earnings takes them
    # (holds.lock_affiliates): a settle in progress finishes before its affiliate is paid.
    free = list(s.scalars(select(User.id).where(User.id.in_(owed)).order_by(User.id)
                          .with_for_update(key_share=True)))
    rows = s.execute(select(EarningEntry.id, EarningEntry.affiliate_id, EarningEntry.currency,
                            EarningEntry.amount_minor)
                     .where(*due, EarningEntry.affiliate_id.in_(free))
                     .order_by(EarningEntry.id).with_for_update(skip_locked=True)).all() \
        if free else []
    balances: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    for entry_id, affiliate, currency, amount in rows:
        balances[(int(affiliate), str(currency))].append((int(entry_id), int(amount)))
    statements = []
    for (affiliate, currency), entries in sorted(balances.items()):
        amount = sum(a for _, a in entries)
        if amount <= 0 or amount < minimum:
            continue  # carries over to the next payout
        ids = [i for i, _ in entries]
        s.execute(update(EarningEntry).where(EarningEntry.id.in_(ids))
                  .values(status="paid", payout_id=payout_id, status_changed_at=now))
        s.add(PayoutStatement(payout_id=payout_id, affiliate_id=affiliate, currency=currency,
                              amount_minor=amount, entry_ids=ids))
        statements.append({"affiliate_id": affiliate, "currency": currency,
                           "amount_minor": amount, "entry_ids": ids})
    s.flush()
    return statements


def payout_view(s: Session, payout: Payout) -> dict[str, Any]:
    statements = s.scalars(select(PayoutStatement).where(PayoutStatement.payout_id == payout.id)
                           .order_by(PayoutStatement.affiliate_id, PayoutStatement.currency))
    return {
        "payout_id": payout.id, "period_end": payout.period_end.isoformat(),
        "min_payout_minor": payout.min_payout_minor,
        "created_at": payout.created_at.isoformat(),
        "statements": [{"affiliate_id": st.affiliate_id, "currency": st.currency,
                        "amount_minor": st.amount_minor, "entry_ids": list(st.entry_ids)}
                       for st in statements],
    }


def get_payout(payout_id: int) -> dict[str, Any]:
    with unit_of_work() as uow:
        payout = uow.session.get(Payout, payout_id)
        if payout is None:
            raise NotFound("no such payout")
        return payout_view(uow.session, payout)


def statements_csv(payout_id: int) -> str:
    """The payout's statements as CSV, one row per affiliate and currency."""
    body = get_payout(payout_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for st in body["statements"]:
        writer.writerow([body["payout_id"], body["period_end"], st["affiliate_id"],
                         spreadsheet_safe(st["currency"]), st["amount_minor"],
                         " ".join(str(i) for i in st["entry_ids"])])
    return out.getvalue()

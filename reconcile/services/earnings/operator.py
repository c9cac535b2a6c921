"""Operators release or reject a held entry (ADMIN, or the CLIENT owning the campaign);
both are recorded in the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select

from reconcile.errors import Conflict, Forbidden, NotFound
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign, EarningEntry, Post, table_of
from reconcile.services.audit import Actor, record
from reconcile.services.earnings.ledger import lock_post, post_state
from reconcile.services.earnings.views import entry_view
from reconcile.services.principal import Principal
from reconcile.vocabulary import Role


class NotHeld(Conflict):
    """Only a held entry can be released or rejected."""

    code = "ENTRY_NOT_HELD"


def _held_entry(s: Any, principal: Principal, entry_id: int) -> EarningEntry:
    if principal.role not in (Role.ADMIN, Role.CLIENT):
        raise Forbidden(f"role {principal.role} may not release or reject earnings")
    entry = s.get(EarningEntry, entry_id)
    if entry is None:
        raise NotFound("no such earnings entry")
    if principal.role == Role.CLIENT and s.scalar(
            select(Campaign.client_id).where(Campaign.id == entry.campaign_id)
    ) != principal.client_id:
        raise NotFound("no such earnings entry")
    lock_post(s, entry.post_id)
    entry = s.get_one(EarningEntry, entry_id, populate_existing=True, with_for_update=True)
    if entry.status != "held":
        raise NotHeld(f"entry {entry_id} is {entry.status}, not held")
    return entry


def release(principal: Principal, entry_id: int, note: str | None = None,
            request_id: str | None = None) -> dict[str, Any]:
    """Release a held entry to pending, or approved if its window has passed; it stays
    released even while the cause stands (the operator decided)."""
    now = datetime.now(UTC)
    with unit_of_work() as uow:
        s = uow.session
        entry = _held_entry(s, principal, entry_id)
        entry.status = "approved" if entry.approve_after <= now else "pending"
        entry.operator_release, entry.status_changed_at = True, now
        s.flush()
        view = entry_view(entry)
        record(s, Actor.of(principal, request_id), "earnings.released", ("earning", entry_id),
               before={"status": "held"}, after={"status": entry.status, "note": note})
        return view


def reject(principal: Principal, entry_id: int, note: str | None = None,
           request_id: str | None = None) -> dict[str, Any]:
    """Reject a held entry: it becomes `rejected` and a `reversal` of it is written (also
    `rejected`), and its post's earnings are that much lower from now on (a later report
    does not earn it back)."""
    now = datetime.now(UTC)
    with unit_of_work() as uow:
        s = uow.session
        entry = _held_entry(s, principal, entry_id)
        if entry.amount_minor <= 0:
            raise NotHeld(f"entry {entry_id} takes money back; there is nothing to reject")
        entry.status, entry.status_changed_at = "rejected", now
        post = s.get_one(Post, entry.post_id)
        state = post_state(s, post, now)
        state.rejected_minor = int(state.rejected_minor or 0) + entry.amount_minor
        s.execute(insert(table_of(EarningEntry)), {
            "affiliate_id": entry.affiliate_id, "campaign_id": entry.campaign_id,
            "post_id": entry.post_id, "report_id": entry.report_id, "kind": "reversal",
            "amount_minor": -entry.amount_minor, "currency": entry.currency,
            "status": "rejected", "reason": f"entry {entry_id} rejected: {note or 'no note'}",
            "rate_card_version": entry.rate_card_version, "created_at": now,
            "approve_after": now, "operator_release": False, "status_changed_at": now,
        })
        s.flush()
        view = entry_view(entry)
        record(s, Actor.of(principal, request_id), "earnings.rejected", ("earning", entry_id),
               before={"status": "held"},
               after={"status": "rejected", "reversal_minor": -entry.amount_minor,
                      "note": note})
        return view

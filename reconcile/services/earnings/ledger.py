"""Settle a post: write the difference between what it earns now and what its entries sum
to (earnings.md, "What a post earns"). Replaying a report finds no difference, so it
writes nothing; a newer report, a reversed conversion or a takedown writes the change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from reconcile.persistence.models import (
    EarningEntry,
    Post,
    PostEarning,
    Report,
    When,
    table_of,
)
from reconcile.rules.earnings import RateCard, earned, split_change
from reconcile.services.earnings.budget import budget_room, note_over_budget
from reconcile.services.earnings.cards import current_card
from reconcile.services.earnings.holds import (
    apply_holds,
    hold_reasons,
    lock_affiliates,
    lock_entries,
)
from reconcile.services.earnings.numbers import billable_numbers

_INSERT = insert(table_of(EarningEntry)).returning(table_of(EarningEntry).c.id)


def post_state(session: Session, post: Post, now: datetime) -> PostEarning:
    """The post's earnings state, made on first use; the caller holds the post's lock."""
    state = session.get(PostEarning, post.id, populate_existing=True)
    if state is None:
        state = PostEarning(post_id=post.id, affiliate_id=post.affiliate_id,
                            campaign_id=post.campaign_id, rejected_minor=0, hold_reasons=[],
                            updated_at=now)
        session.add(state)
        session.flush()
    return state


def lock_post(session: Session, post_id: int) -> None:
    """Serialise everything that writes a post's entries (settle, takedown, reject) on its
    affiliate, as hold changes are (holds.lock_affiliates)."""
    affiliate = session.scalar(select(Post.affiliate_id).where(Post.id == post_id))
    if affiliate is not None:
        lock_affiliates(session, [int(affiliate)])


def settle(session: Session, report_id: int, now: datetime) -> list[int]:
    """Bring the report's post's entries to what its latest numbers earn; return the ids
    of the entries written (none when nothing changed)."""
    post = session.scalar(select(Post).join(Report, Report.post_id == Post.id)
                          .where(Report.id == report_id))
    if post is None:
        return []
    lock_post(session, post.id)
    state = post_state(session, post, now)
    card = current_card(session, post.campaign_id)
    written: list[int] = []
    if card is not None:
        if state.removed_at is not None:
            target, why = 0, "post removed: it earns nothing"
        else:
            result = earned(card, billable_numbers(session, post.id, card.currency))
            target = max(0, result.amount_minor - int(state.rejected_minor or 0))
            why = (f"report {report_id}: earns {result.amount_minor} under rate card "
                   f"v{card.version} {_parts(result.parts)}")
        written = write_difference(session, post, card, target, report_id, why, now)
    if state.report_id is None or state.report_id < report_id:
        state.report_id = report_id
    session.flush()
    apply_holds(session, _affiliate_posts(session, post.affiliate_id), now)
    return written


def _parts(parts: dict[str, str]) -> str:
    return "(" + ", ".join(f"{k} {v}" for k, v in parts.items()) + ")" if parts else "(none)"


def _affiliate_posts(session: Session, affiliate_id: int) -> list[int]:
    return list(session.scalars(select(PostEarning.post_id)
                                .where(PostEarning.affiliate_id == affiliate_id)))


def post_sums(session: Session, post_id: int) -> dict[str, Any]:
    """The post's total, and its over-budget, unpaid and pending parts."""
    amount, status = EarningEntry.amount_minor, EarningEntry.status

    def part(*statuses: str) -> Any:
        return func.coalesce(func.sum(case((status.in_(statuses), amount), else_=0)), 0)

    row = session.execute(select(func.coalesce(func.sum(amount), 0), part("over_budget"),
                                 part("pending", "approved", "held"), part("pending"),
                                 type_coerce(func.min(case(
                                     (status.in_(("pending", "held")),
                                      EarningEntry.approve_after))), When))
                          .where(EarningEntry.post_id == post_id)).one()
    return {"total": int(row[0]), "over_budget": int(row[1]), "unpaid": int(row[2]),
            "pending": int(row[3]), "first_due": row[4]}


def write_difference(session: Session, post: Post, card: RateCard, target: int,
                     report_id: int | None, reason: str, now: datetime) -> list[int]:
    """Write target minus the post's total as new entries (none when they are equal)."""
    # The split depends on the statuses of the post's entries: a payout cannot pay what is
    # being reversed here (holds.lock_entries).
    lock_entries(session, [post.affiliate_id])
    sums = post_sums(session, post.id)
    delta = target - sums["total"]
    if delta == 0:
        return []
    held = bool(hold_reasons(session, [post.id]).get(post.id))
    room = budget_room(session, post.campaign_id, card) if delta > 0 else None
    split = split_change(delta, room=room, over_budget=sums["over_budget"],
                         unpaid=sums["unpaid"], held=held, pending=sums["pending"] > 0)
    window = now + timedelta(days=card.validation_days)
    rows: list[dict[str, Any]] = []
    for kind, amount, status in split.rows:
        due: datetime = window
        if kind != "earning":  # a reversal falls due with the post's first unpaid entry
            due = (sums["first_due"] or window) if status in ("pending", "held") else now
        rows.append({
            "affiliate_id": post.affiliate_id, "campaign_id": post.campaign_id,
            "post_id": post.id, "report_id": report_id, "kind": kind,
            "amount_minor": amount, "currency": card.currency, "status": status,
            "reason": reason, "rate_card_version": card.version, "created_at": now,
            "approve_after": due, "operator_release": False, "status_changed_at": None,
        })
    ids = [int(session.execute(_INSERT, row).scalar_one()) for row in rows]
    if any(r["status"] == "over_budget" and r["amount_minor"] > 0 for r in rows):
        note_over_budget(session, post.campaign_id, card)
    return ids

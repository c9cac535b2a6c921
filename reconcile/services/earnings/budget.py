"""Budgets: what a campaign can still commit, and its one BUDGET_EXHAUSTED alert."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reconcile.persistence.db import serialise_on
from reconcile.persistence.models import EarningEntry
from reconcile.rules import AlertSpec
from reconcile.rules.earnings import RateCard
from reconcile.services.alerts.raising import raise_alert

# Money a campaign owes or has paid; over_budget and rejected entries owe nothing.
COMMITTED = ("pending", "approved", "held", "paid")


def committed(session: Session, campaign_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(EarningEntry.amount_minor), 0))
                              .where(EarningEntry.campaign_id == campaign_id,
                                     EarningEntry.status.in_(COMMITTED))) or 0)


def budget_room(session: Session, campaign_id: int, card: RateCard) -> int | None:
    """What the campaign may still commit (None: no budget). Holds the campaign's lock to
    the end of the transaction, so two posts never both take the last of it."""
    if card.budget_minor is None:
        return None
    serialise_on(session, f"earnings:budget:{campaign_id}")
    return max(0, card.budget_minor - committed(session, campaign_id))


def note_over_budget(session: Session, campaign_id: int, card: RateCard) -> None:
    """Raise the campaign's one BUDGET_EXHAUSTED alert (a second raise inserts nothing)."""
    raise_alert(session, AlertSpec(
        "B1", "BUDGET_EXHAUSTED", "SYSTEM_HEALTH", "MEDIUM",
        f"Campaign {campaign_id} has spent its budget",
        f"Campaign {campaign_id}'s committed earnings reached its budget of "
        f"{card.budget_minor} {card.currency} (minor units); later earnings are recorded as "
        f"over_budget and never paid.",
        {"budget_minor": card.budget_minor, "currency": card.currency},
    ), report_id=None, affiliate_id=None, platform=None,
        dedupe_key=f"budget:{campaign_id}")

"""Rate cards: each change a new version; earnings record the version they used."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from reconcile.errors import Conflict, Forbidden
from reconcile.persistence.db import serialise_on, unit_of_work
from reconcile.persistence.models import EarningEntry
from reconcile.persistence.models import RateCard as RateCardRow
from reconcile.rules.earnings import Milestone, RateCard
from reconcile.services.access import visible_campaign
from reconcile.services.audit import Actor, record
from reconcile.services.principal import Principal
from reconcile.vocabulary import Role

FIELDS = ("currency", "cpm_minor", "cpc_minor", "cpa_minor", "cpa_percent", "flat_minor",
          "milestones", "cap_per_post_minor", "budget_minor", "validation_days", "live_days")


@dataclass(frozen=True)
class CardChange:
    """A new version's fields, as the caller gave them (validated by the API's schema)."""

    currency: str
    cpm_minor: int | None = None
    cpc_minor: int | None = None
    cpa_minor: int | None = None
    cpa_percent: Decimal | None = None
    flat_minor: int | None = None
    milestones: tuple[tuple[int, int], ...] = ()
    cap_per_post_minor: int | None = None
    budget_minor: int | None = None
    validation_days: int = 14
    live_days: int = 30


class CurrencyFixed(Conflict):
    """The campaign already owes money in another currency."""

    code = "CURRENCY_FIXED"


def card_of(row: RateCardRow) -> RateCard:
    return RateCard(
        currency=row.currency, version=row.version, cpm_minor=row.cpm_minor,
        cpc_minor=row.cpc_minor, cpa_minor=row.cpa_minor,
        cpa_percent=Decimal(str(row.cpa_percent)) if row.cpa_percent is not None else None,
        flat_minor=row.flat_minor,
        milestones=tuple(Milestone(int(m["views"]), int(m["bonus_minor"]))
                         for m in row.milestones or ()),
        cap_per_post_minor=row.cap_per_post_minor, budget_minor=row.budget_minor,
        validation_days=row.validation_days, live_days=row.live_days,
    )


def current_row(session: Session, campaign_id: int) -> RateCardRow | None:
    return session.scalars(select(RateCardRow).where(RateCardRow.campaign_id == campaign_id)
                           .order_by(RateCardRow.version.desc()).limit(1)).first()


def current_card(session: Session, campaign_id: int) -> RateCard | None:
    """The campaign's current rate card, or None: a campaign without one earns nothing."""
    row = current_row(session, campaign_id)
    return card_of(row) if row is not None else None


def card_view(row: RateCardRow) -> dict[str, Any]:
    return {
        "campaign_id": row.campaign_id, "version": row.version, "currency": row.currency,
        "cpm_minor": row.cpm_minor, "cpc_minor": row.cpc_minor, "cpa_minor": row.cpa_minor,
        "cpa_percent": (format(Decimal(str(row.cpa_percent)).normalize(), "f")
                        if row.cpa_percent is not None else None),
        "flat_minor": row.flat_minor, "milestones": list(row.milestones or []),
        "cap_per_post_minor": row.cap_per_post_minor, "budget_minor": row.budget_minor,
        "validation_days": row.validation_days, "live_days": row.live_days,
        "created_at": row.created_at.isoformat(), "created_by": row.created_by,
    }


def put_rate_card(principal: Principal, campaign_id: int, change: CardChange,
                  request_id: str | None = None) -> dict[str, Any]:
    """Write the campaign's next rate card version (ADMIN, or the CLIENT owning it)."""
    if principal.role not in (Role.ADMIN, Role.CLIENT):
        raise Forbidden(f"role {principal.role} may not change rate cards")
    with unit_of_work() as uow:
        s = uow.session
        visible_campaign(s, principal, campaign_id)
        serialise_on(s, f"rate-card:{campaign_id}")  # two changes never take one version
        previous = current_row(s, campaign_id)
        if previous is not None and previous.currency != change.currency and s.scalar(
                select(exists().where(EarningEntry.campaign_id == campaign_id))):
            raise CurrencyFixed(f"campaign {campaign_id} already has earnings in "
                                f"{previous.currency}")
        version = int(s.scalar(select(func.coalesce(func.max(RateCardRow.version), 0))
                               .where(RateCardRow.campaign_id == campaign_id)) or 0) + 1
        row = RateCardRow(
            campaign_id=campaign_id, version=version,
            created_by=principal.user_id or None,
            **{f: getattr(change, f) for f in FIELDS if f != "milestones"},
            milestones=[{"views": v, "bonus_minor": b} for v, b in change.milestones],
        )
        s.add(row)
        s.flush()
        view = card_view(row)
        record(s, Actor.of(principal, request_id), "rate_card.changed",
               ("campaign", campaign_id),
               before=card_view(previous) if previous is not None else None, after=view)
        return view


def get_rate_card(principal: Principal, campaign_id: int) -> dict[str, Any]:
    """The current version and every earlier one, newest first."""
    with unit_of_work() as uow:
        s = uow.session
        visible_campaign(s, principal, campaign_id)
        rows = list(s.scalars(select(RateCardRow).where(RateCardRow.campaign_id == campaign_id)
                              .order_by(RateCardRow.version.desc())))
        return {"campaign_id": campaign_id,
                "current": card_view(rows[0]) if rows else None,
                "history": [card_view(r) for r in rows]}

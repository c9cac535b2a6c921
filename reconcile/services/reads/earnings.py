"""Read the earnings ledger: an affiliate's balances and entries, a campaign's spend, the
held amounts with their reasons (the operator's view)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from reconcile.errors import NotFound
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign, EarningEntry, PostEarning, User
from reconcile.services.access import visible_campaign
from reconcile.services.earnings.cards import current_row
from reconcile.services.earnings.views import entry_view
from reconcile.services.principal import Principal
from reconcile.vocabulary import Role

BALANCES = ("pending", "held", "approved", "paid", "clawback")


def _sum_when(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, EarningEntry.amount_minor), else_=0)), 0)


def _balance_columns() -> list[Any]:
    status, kind = EarningEntry.status, EarningEntry.kind
    return [
        _sum_when(status == "pending"), _sum_when(status == "held"),
        _sum_when((status == "approved") & (kind != "clawback")), _sum_when(status == "paid"),
        _sum_when((status == "approved") & (kind == "clawback")),
    ]


def balances(session: Session, affiliate_id: int) -> list[dict[str, Any]]:
    """Per currency: pending, held, approved (not yet paid), paid, and clawback (money taken
    back after it was paid, still to be netted against the next payout: zero or less)."""
    rows = session.execute(select(EarningEntry.currency, *_balance_columns())
                           .where(EarningEntry.affiliate_id == affiliate_id)
                           .group_by(EarningEntry.currency).order_by(EarningEntry.currency))
    return [{"currency": row[0], **{name: int(v) for name, v in zip(BALANCES, row[1:],
                                                                     strict=True)}}
            for row in rows]


def affiliate_earnings(principal: Principal, affiliate_id: int, *, after: int | None = None,
                       limit: int = 50) -> dict[str, Any]:
    """The affiliate's balances and its entries, newest first (`limit` + 1 fetched)."""
    if principal.role == Role.AFFILIATE and principal.user_id != affiliate_id:
        raise NotFound("no such affiliate")
    if principal.role not in (Role.AFFILIATE, Role.ADMIN, Role.ANALYST):
        raise NotFound("no such affiliate")
    with unit_of_work() as uow:
        s = uow.session
        user = s.get(User, affiliate_id)
        if user is None or user.role != Role.AFFILIATE:
            raise NotFound("no such affiliate")
        q = select(EarningEntry).where(EarningEntry.affiliate_id == affiliate_id)
        if after is not None:
            q = q.where(EarningEntry.id < after)
        entries = [entry_view(e) for e in s.scalars(q.order_by(EarningEntry.id.desc())
                                                     .limit(limit + 1))]
        return {"affiliate_id": affiliate_id, "balances": balances(s, affiliate_id),
                "entries": entries}


def campaign_spend(principal: Principal, campaign_id: int) -> dict[str, Any]:
    """The campaign's budget against what it committed, paid and holds, per affiliate."""
    with unit_of_work() as uow:
        s = uow.session
        visible_campaign(s, principal, campaign_id)
        if principal.role == Role.AFFILIATE:
            raise NotFound("no such campaign")
        card = current_row(s, campaign_id)
        status = EarningEntry.status
        columns = [_sum_when(status.in_(("pending", "approved", "held", "paid"))),
                   _sum_when(status == "paid"), _sum_when(status == "held"),
                   _sum_when(status == "over_budget")]
        rows = s.execute(select(EarningEntry.affiliate_id, *columns)
                         .where(EarningEntry.campaign_id == campaign_id)
                         .group_by(EarningEntry.affiliate_id)
                         .order_by(EarningEntry.affiliate_id)).all()
        by_affiliate = [{"affiliate_id": int(r[0]), "committed_minor": int(r[1]),
                         "paid_minor": int(r[2]), "held_minor": int(r[3]),
                         "over_budget_minor": int(r[4])} for r in rows]

        def total(key: str) -> int:
            return sum(a[key] for a in by_affiliate)

        return {
            "campaign_id": campaign_id,
            "currency": card.currency if card is not None else None,
            "budget_minor": card.budget_minor if card is not None else None,
            "committed_minor": total("committed_minor"), "paid_minor": total("paid_minor"),
            "held_minor": total("held_minor"), "over_budget_minor": total("over_budget_minor"),
            "by_affiliate": by_affiliate,
        }


def held_amounts(session: Session, client_id: int | None = None) -> list[dict[str, Any]]:
    """Each held post: its affiliate, campaign, currency, held amount and why it is held."""
    q = (select(EarningEntry.post_id, EarningEntry.affiliate_id, EarningEntry.campaign_id,
                EarningEntry.currency, func.sum(EarningEntry.amount_minor))
         .where(EarningEntry.status == "held")
         .group_by(EarningEntry.post_id, EarningEntry.affiliate_id, EarningEntry.campaign_id,
                   EarningEntry.currency)
         .order_by(EarningEntry.post_id))
    if client_id is not None:
        q = q.join(Campaign, Campaign.id == EarningEntry.campaign_id).where(
            Campaign.client_id == client_id)
    rows = session.execute(q).all()
    posts = sorted({int(r[0]) for r in rows})
    reasons: dict[int, Any] = dict(session.execute(
        select(PostEarning.post_id, PostEarning.hold_reasons)
        .where(PostEarning.post_id.in_(posts))).all()) if posts else {}
    return [{"post_id": int(p), "affiliate_id": int(a), "campaign_id": int(c),
             "currency": cur, "held_minor": int(amount), "reasons": list(reasons.get(p) or [])}
            for p, a, c, cur, amount in rows]


def held_overview(principal: Principal) -> list[dict[str, Any]]:
    with unit_of_work() as uow:
        return held_amounts(uow.session, principal.client_id
                            if principal.role == Role.CLIENT else None)

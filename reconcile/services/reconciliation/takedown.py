"""The live period: how long a verified post must stay up (truth.md, Takedown).

The campaign's current rate card's `live_days` (earnings.md) when it has one, else the
rules file's `reverify.live_days` (default 30). Attempts read the card's with their targets
(targets.py); the re-verification sweep asks `live_since` which verifications are still
inside their live period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from reconcile.persistence.models import Post, RateCard, ReconciliationLog
from reconcile.rules import Rules

_LATEST = (select(RateCard.campaign_id, func.max(RateCard.version).label("version"))
           .group_by(RateCard.campaign_id).subquery())


def live_days(card_days: int | None, rules: Rules) -> int:
    """A post's live period in days: its card's, else the rules file's."""
    return card_days if card_days is not None else rules.reverify.live_days


def live_since(session: Session, rules: Rules, now: datetime) -> Any:
    """SQL, per the post's campaign: the earliest verification still inside its live
    period. Campaigns whose card keeps the default need no branch of their own."""
    def since(days: int) -> Any:
        return literal(now - timedelta(days=days), type_=ReconciliationLog.verified_at.type)

    default = rules.reverify.live_days
    cards = session.execute(
        select(RateCard.campaign_id, RateCard.live_days)
        .join(_LATEST, and_(_LATEST.c.campaign_id == RateCard.campaign_id,
                            _LATEST.c.version == RateCard.version))
        .where(RateCard.live_days != default)).all()
    if not cards:
        return since(default)
    return case(*((Post.campaign_id == campaign, since(days)) for campaign, days in cards),
                else_=since(default))

"""A post's billable numbers, read from its terminal reports (earnings.md, truth.md).

Each metric's billable number is min(claimed, verified) from the post's latest report that
reached a terminal status with that metric verifiable. A metric no source verifies (source
`none`, or a legacy engagement number) earns nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from reconcile.persistence.models import Click, Conversion, ReconciliationLog, Report, TrackedLink
from reconcile.rules.earnings import Billable, billable

METRICS = ("views", "clicks", "conversions")
UNVERIFIED_SOURCES = ("none", "legacy_engagement")


def _verified(entry: Any) -> int | None:
    """The verified number a log's metric entry carries, or None if it verified nothing."""
    if not isinstance(entry, dict) or entry.get("observed") is None:
        return None
    if not entry.get("verifiable", True) or entry.get("source") in UNVERIFIED_SOURCES:
        return None
    return int(entry["observed"])


def billable_numbers(session: Session, post_id: int, currency: str) -> Billable:
    """The post's billable numbers as its terminal reports stand now."""
    rows = session.execute(
        select(Report.id, Report.claimed_views, Report.claimed_clicks,
               Report.claimed_conversions, ReconciliationLog.status, ReconciliationLog.metrics)
        .join(ReconciliationLog, ReconciliationLog.report_id == Report.id)
        .where(Report.post_id == post_id, ReconciliationLog.is_terminal.is_(True))
        .order_by(Report.id.desc())).all()
    found: dict[str, int | None] = dict.fromkeys(METRICS)
    for row in rows:
        claimed = dict(zip(METRICS, (row[1], row[2], row[3]), strict=True))
        for m in METRICS:
            if found[m] is None:
                found[m] = billable(int(claimed[m]), _verified((row[5] or {}).get(m)))
    conversions = found["conversions"]
    return Billable(
        views=found["views"], clicks=found["clicks"], conversions=conversions,
        conversion_amounts_minor=(_conversion_amounts(session, post_id, conversions, currency)
                                  if conversions else 0),
        status=rows[0][4] if rows else None,
    )


def _conversion_amounts(session: Session, post_id: int, count: int, currency: str) -> int:
    """The amounts of the post's first `count` counted, unreversed conversions, in the rate
    card's currency (a conversion without a currency is taken as in it; one in another
    currency adds nothing: no exchange rates here)."""
    amounts = session.scalars(
        select(Conversion.amount_minor).join(Click, Click.click_id == Conversion.click_id)
        .join(TrackedLink, TrackedLink.id == Click.link_id)
        .where(TrackedLink.post_id == post_id, Conversion.status == "counted",
               Conversion.reversed_at.is_(None),
               or_(Conversion.currency.is_(None), Conversion.currency == currency))
        .order_by(Conversion.occurred_at, Conversion.id).limit(count)).all()
    return sum(int(a or 0) for a in amounts)

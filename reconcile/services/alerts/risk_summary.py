"""The daily risk summary: open alerts, affiliates that fell into a risky bucket, outages."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from reconcile.bootstrap import active_rules
from reconcile.config import load_settings
from reconcile.locks import redis_client
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, EarningEntry, TrustLedger
from reconcile.rules import bucket_for
from reconcile.rules.trust import BUCKETS
from reconcile.services.alerts.messages import summary_message
from reconcile.vocabulary import AlertStatus, Severity, values
from reconcile.webhooks import post

log = logging.getLogger("reconcile.alerts")

# Most severe first, as the summary reads.
SEVERITIES = values(Severity)[::-1]
# From safest to riskiest: only a move to the right counts as "entered".
_SENT_KEY = "reconcile:risk-summary:{}"


def risk_summary(now: datetime | None = None) -> dict[str, Any]:
    """Summarise the last 24 hours of risk posture."""
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=24)
    trust = active_rules().trust
    with unit_of_work() as uow:
        s = uow.session
        open_by = {sev: n for sev, n in s.execute(
            select(Alert.severity, func.count()).where(Alert.status == AlertStatus.OPEN)
            .group_by(Alert.severity))}
        moves = s.execute(
            select(TrustLedger.affiliate_id, TrustLedger.delta, TrustLedger.score_after)
            .where(TrustLedger.created_at >= since, TrustLedger.created_at <= now)
            .order_by(TrustLedger.id)
        ).all()
        outages = s.execute(
            select(Alert.platform, func.count(), func.min(Alert.created_at))
            .where(Alert.type == "PLATFORM_OUTAGE", Alert.created_at >= since,
                   Alert.created_at <= now)
            .group_by(Alert.platform).order_by(Alert.platform)
        ).all()
        # Earnings held now (earnings.md): what waits on a fraud cause, per currency.
        held = s.execute(
            select(EarningEntry.currency, func.sum(EarningEntry.amount_minor),
                   func.count(func.distinct(EarningEntry.post_id)))
            .where(EarningEntry.status == "held")
            .group_by(EarningEntry.currency).order_by(EarningEntry.currency)
        ).all()
    entered: dict[str, set[int]] = {"low_trust": set(), "critical": set()}
    for affiliate_id, delta, after in moves:
        old = bucket_for(round(after - delta, 4), trust)
        new = bucket_for(after, trust)
        if new in entered and BUCKETS.index(new) > BUCKETS.index(old):
            entered[new].add(affiliate_id)
    return {
        "since": since.isoformat(timespec="seconds"),
        "until": now.isoformat(timespec="seconds"),
        "open_alerts_by_severity": {sev: int(open_by.get(sev, 0)) for sev in SEVERITIES},
        "affiliates_entered": {k: sorted(v) for k, v in entered.items()},
        "platform_outages": [
            {"platform": p, "alerts": int(n), "first_at": str(first)} for p, n, first in outages
        ],
        "held_earnings": [
            {"currency": c, "held_minor": int(amount), "posts": int(posts)}
            for c, amount, posts in held
        ],
    }


def send_risk_summary(now: datetime | None = None) -> int:
    """Post today's summary to every webhook, once per day; return how many took it."""
    now = now or datetime.now(UTC)
    settings = load_settings()
    if not settings.alert_webhook_urls:
        return 0
    # Once per calendar day however many beats or re-runs there are.
    if not redis_client().set(_SENT_KEY.format(now.date().isoformat()), "1", nx=True,
                              ex=2 * 24 * 3600):
        return 0
    message = summary_message(risk_summary(now))
    delivered = sum(
        post(url, message, secret=settings.alert_webhook_secret,
             delivery_id=f"risk-summary-{now.date().isoformat()}").ok
        for url in settings.alert_webhook_urls
    )
    log.info("Daily risk summary sent",
             extra={"outcome": f"{delivered}/{len(settings.alert_webhook_urls)}"})
    return delivered

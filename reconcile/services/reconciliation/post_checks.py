"""Check the post itself on every attempt that sees it: ownership, eligibility, anomalies
on the platform's own numbers, and whether a verified post was taken down (truth.md,
"The post itself"; docs/fraud.md).

Runs inside the batch's transaction, after the attempts are written: a few queries per
batch, not per attempt. Flags go on the report beside its submission flags, re-decided
each time; alerts are raised at most once per report and rule. Nothing here touches the
reconciliation status or trust.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from reconcile.persistence.bulk import TableWrites
from reconcile.persistence.db import UnitOfWork
from reconcile.persistence.models import Report
from reconcile.rules import Rules
from reconcile.rules.anomaly import Point, Reading, anomalies, views_per_hour
from reconcile.rules.post_checks import (
    NOT_OWNER,
    POST_FLAGS,
    PostFacts,
    in_live_period,
    not_owner_alert,
    post_flags,
    post_removed_alert,
)
from reconcile.rules.sources import NONE
from reconcile.services.alerts.raising import raise_alert
from reconcile.services.earnings import post_removed
from reconcile.services.handles.verified import Holders, verified_holders
from reconcile.services.reconciliation.outcome import Outcome
from reconcile.services.reconciliation.readings import baseline_rates, previous_readings
from reconcile.services.reconciliation.takedown import live_days

_FLAGS = select(Report.id, Report.suspicion_flags).where(
    Report.id.in_(bindparam("ids", expanding=True)))


def seen(o: Outcome) -> bool:
    """Whether the platform showed the post on this attempt."""
    return not o.fetched.deferred and o.fetched.missing_reason is None


def removed(o: Outcome, now: datetime, live_days: int) -> bool:
    """A verified post the platform no longer knows (not one it shows without numbers),
    inside its live period."""
    return (o.target.verified and o.fetched.missing_reason == "not_found"
            and not o.fetched.metrics
            and in_live_period(o.target.verified_at, now, live_days))


class PostChecks:
    """What the batch needs to check its posts, read before its snapshots are written."""

    def __init__(self, uow: UnitOfWork, outcomes: Sequence[Outcome], rules: Rules) -> None:
        self.session, self.rules = uow.session, rules
        looked = [o for o in outcomes if seen(o)]
        self.holders: Holders = verified_holders(
            self.session, [(o.target.affiliate_id, o.target.platform) for o in looked],
            [(o.target.platform, o.fetched.author) for o in looked if o.fetched.author])
        self.previous = previous_readings(self.session, [o.target.post_id for o in looked])
        self.baselines = baseline_rates(
            self.session, [(o.target.post_id, o.target.affiliate_id, o.target.platform)
                           for o in looked])

    def apply(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Re-decide the flags of the posts seen, raise their alerts, and note takedowns."""
        conn = self.session.connection()
        ids = sorted({o.target.report_id for o in outcomes if seen(o)})
        flags = {r: list(f or []) for r, f in conn.execute(_FLAGS, {"ids": ids})} if ids else {}
        writes = TableWrites(Report, "id")
        for o in outcomes:
            if seen(o):
                writes.set(o.target.report_id,
                           suspicion_flags=self._check(o, flags[o.target.report_id], now))
            elif o.target.verified_at is not None and removed(o, now, self._live_days(o)):
                spec = post_removed_alert(o.target.verified_at, now, self._live_days(o))
                if self._raise(o, spec) is not None:
                    # Once, with the alert: the post's earnings are reversed (earnings.md).
                    post_removed(self.session, o.target.report_id, now)
        writes.update(conn)

    def _live_days(self, o: Outcome) -> int:
        return live_days(o.target.live_days, self.rules)

    def _check(self, o: Outcome, before: list[Any], now: datetime) -> list[Any]:
        t, f, terms = o.target, o.fetched, o.target.campaign
        mine = self.holders.mine(t.affiliate_id, t.platform)
        found = post_flags(PostFacts(
            author=f.author, published_at=f.published_at, caption=f.caption,
            verified_handles=mine,
            author_verified_by_other=self.holders.held_by_other(t.affiliate_id, t.platform,
                                                                f.author),
            start_date=terms.start_date if terms else None,
            end_date=terms.end_date if terms else None,
            required_tags=terms.required_tags if terms else (),
            require_verified_handle=terms.require_verified_handle if terms else False))
        if any(flag.name == NOT_OWNER for flag in found) and f.author:
            self._raise(o, not_owner_alert(f.author, mine))
        for spec in anomalies(self._reading(o, now), self.rules.anomaly):
            self._raise(o, spec)
        kept = [x for x in before if not (isinstance(x, dict) and x.get("name") in POST_FLAGS)]
        return kept + [flag.to_dict() for flag in found]

    def _reading(self, o: Outcome, now: datetime) -> Reading:
        views = o.fetched.metrics.get("views")
        velocity = None
        if views is not None:
            before = self.previous.get(o.target.post_id)
            if before is None and o.fetched.published_at is not None:
                before = Point(o.fetched.published_at, 0)  # nothing was seen before it
            velocity = (views_per_hour(before, Point(now, views),
                                       self.rules.anomaly.velocity_min_hours)
                        if before else None)
        clicks = o.observed.get("clicks") if o.sources.get("clicks", NONE) != NONE else None
        return Reading(views=views, likes=o.fetched.metrics.get("likes"),
                       comments=o.fetched.metrics.get("comments"), counted_clicks=clicks,
                       velocity=velocity,
                       baseline_rates=self.baselines.get(o.target.post_id, []))

    def _raise(self, o: Outcome, spec: Any) -> Any:
        return raise_alert(self.session, spec, report_id=o.target.report_id,
                    affiliate_id=o.target.affiliate_id, platform=o.target.platform)

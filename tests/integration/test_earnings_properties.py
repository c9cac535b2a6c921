"""Properties of the earnings ledger over any sequence of events on one post (hypothesis):
the post's entries sum to what its latest numbers earn under the rate card, no entry is
paid twice, no balance moves without an entry, and every amount is an exact integer.

Views come from the simulator over HTTP; clicks and conversions through reconciliation's
counters seam (tracking_fake), so that each example stays quick.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import (
    Alert,
    EarningEntry,
    PayoutStatement,
    ReconciliationLog,
)
from reconcile.rules import AlertSpec
from reconcile.rules.earnings import Billable, RateCard, earned
from reconcile.services.admin.campaigns import create_campaign
from reconcile.services.alerts.manage import resolve_alert
from reconcile.services.alerts.raising import raise_alert
from reconcile.services.audit import SYSTEM as SYSTEM_ACTOR
from reconcile.services.earnings.approval import approve_due
from reconcile.services.earnings.cards import CardChange, put_rate_card
from reconcile.services.earnings.operator import release
from reconcile.services.earnings.payouts import run_payout
from reconcile.services.intake.submissions import Claim, submit, update_metrics
from reconcile.services.principal import SYSTEM, Principal
from reconcile.services.reads.earnings import affiliate_earnings
from reconcile.services.reconciliation.attempts import Job, run_attempts
from reconcile.services.tracking.counts import has_tracked_link
from tests.conftest import unique, unique_post_url
from tests.integration.earnings_help import far_period_end
from tests.integration.tracking_fake import FakeTracking

CARD = CardChange(currency="EUR", cpm_minor=1500, cpc_minor=30, cpa_minor=400,
                  flat_minor=250, cap_per_post_minor=20000, validation_days=7)

REPORT = st.tuples(st.just("report"), st.integers(100, 3000), st.integers(100, 3000),
                   st.integers(0, 40), st.integers(0, 40), st.integers(0, 6))
EVENTS = st.lists(st.one_of(
    REPORT, st.sampled_from([("reverse",), ("fraud",), ("resolve",), ("release",),
                             ("approve",), ("payout",)])), min_size=1, max_size=7)


class Post:
    def __init__(self, world: Any, simulator: str) -> None:
        self.world, self.simulator = world, simulator
        self.affiliate = world.new_affiliate()
        self.campaign_id = int(create_campaign(SYSTEM, name=unique("campaign"),
                                               client_id=world.client_id,
                                               platforms=["youtube"])["id"])
        self.card = put_rate_card(SYSTEM, self.campaign_id, CARD)
        self.url = unique_post_url("youtube")
        self.tracking = FakeTracking()
        self.post_id: int | None = None
        self.report_id = 0
        self.claim = (0, 0, 0)

    def report(self, views: int, shown: int, clicks: int, counted: int,
               conversions: int) -> None:
        requests.put(f"{self.simulator}/_sim/posts", json={
            "platform": "youtube", "url": self.url, "views": shown}, timeout=5
        ).raise_for_status()
        principal = Principal(self.affiliate["id"], "AFFILIATE")
        claim = Claim(views, clicks, conversions, evidence="shot.png")
        if self.post_id is None:
            accepted = submit(principal, campaign_id=self.campaign_id, platform="youtube",
                              url=self.url, claim=claim)
            self.post_id = int(accepted["post_id"])
            self.tracking.link(self.post_id)
        else:
            accepted = update_metrics(principal, self.post_id, claim,
                                      has_link=has_tracked_link)
        clicks_now = len(self.tracking.clicks[self.post_id])
        self.tracking.link(self.post_id, clicks=max(0, counted - clicks_now))
        self.report_id, self.claim = int(accepted["report_id"]), (views, clicks, conversions)
        self.run(1)

    def run(self, number: int, trigger: str = "submission") -> None:
        run_attempts([Job(self.report_id, number, trigger)], counters=self.tracking.counters())

    def reverse(self) -> None:
        if self.post_id is None or not self.tracking.conversions[self.post_id]:
            return
        self.tracking.conversions[self.post_id].pop()
        with unit_of_work() as uow:
            count = uow.session.scalar(select(ReconciliationLog.attempt_count).where(
                ReconciliationLog.report_id == self.report_id))
        self.run(int(count or 0) + 1, "rerun")

    def fraud(self) -> None:
        with unit_of_work() as uow:
            raise_alert(uow.session, AlertSpec("T9", "SUSPICIOUS_CLAIM", "FRAUD", "HIGH",
                                               "test", "property test"),
                        report_id=None, affiliate_id=self.affiliate["id"], platform=None,
                        dedupe_key=unique("prop-alert"))

    def resolve(self) -> None:
        with unit_of_work() as uow:
            ids = list(uow.session.scalars(select(Alert.id).where(
                Alert.status == "OPEN", Alert.affiliate_id == self.affiliate["id"])))
        for alert_id in ids:
            resolve_alert(SYSTEM, alert_id, "checked")

    def release(self) -> None:
        held = [e for e in self.entries() if e.status == "held"]
        if held:
            release(SYSTEM, held[0].id, "operator decided")

    def entries(self) -> list[EarningEntry]:
        with unit_of_work() as uow:
            rows = list(uow.session.scalars(select(EarningEntry).where(
                EarningEntry.affiliate_id == self.affiliate["id"]).order_by(EarningEntry.id)))
            uow.session.expunge_all()
            return rows

    def expected(self) -> int:
        """What the latest report's numbers earn, worked out here from the claims, the
        platform's views and the counters (the status, for the flat fee, is the log's)."""
        if self.post_id is None:
            return 0
        with unit_of_work() as uow:
            status = uow.session.scalar(select(ReconciliationLog.status).where(
                ReconciliationLog.report_id == self.report_id))
            metrics = uow.session.scalar(select(ReconciliationLog.metrics).where(
                ReconciliationLog.report_id == self.report_id))
        shown = int(metrics["views"]["observed"])
        views, clicks, conversions = self.claim
        numbers = Billable(
            views=min(views, shown),
            clicks=min(clicks, len(self.tracking.clicks[self.post_id])),
            conversions=min(conversions, len(self.tracking.conversions[self.post_id])),
            status=status)
        card = RateCard("EUR", cpm_minor=1500, cpc_minor=30, cpa_minor=400, flat_minor=250,
                        cap_per_post_minor=20000)
        return earned(card, numbers).amount_minor


def _paid_once_everywhere() -> None:
    """Every paid entry is in exactly one statement, and every statement adds up."""
    with unit_of_work() as uow:
        s = uow.session
        statements = list(s.scalars(select(PayoutStatement)))
        listed = [i for st_ in statements for i in st_.entry_ids]
        assert len(listed) == len(set(listed)), "an entry is in two statements"
        amounts = dict(s.execute(select(EarningEntry.id, EarningEntry.amount_minor)
                                 .where(EarningEntry.id.in_(listed))).all()) if listed else {}
        for st_ in statements:
            assert st_.amount_minor == sum(amounts[i] for i in st_.entry_ids)
        paid = set(s.scalars(select(EarningEntry.id).where(EarningEntry.status == "paid")))
        assert paid == set(listed)
        assert s.scalar(select(func.count()).where(
            EarningEntry.status == "paid", EarningEntry.payout_id.is_(None))) == 0


@pytest.mark.network("127.0.0.1", "localhost")
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(events=EVENTS)
def test_any_sequence_of_events_keeps_the_ledger_true(
    events: list[tuple[Any, ...]], world: Any, simulator: str, dispatched: Any,
) -> None:
    post = Post(world, simulator)
    for event in events:
        before = post.entries()
        name, *args = event
        if name == "report":
            views, shown, clicks, counted, conversions = args
            post.tracking.conversions.setdefault(post.post_id or 0, [])
            post.report(views, shown, clicks, counted, conversions)
            have = len(post.tracking.conversions[post.post_id])
            post.tracking.link(post.post_id, conversions=max(0, conversions - have))
            post.run(2, "rerun")  # conversions arrived: the report is re-reconciled
        elif name == "approve":
            approve_due(datetime.now(UTC) + timedelta(days=8))
        elif name == "payout":
            run_payout(far_period_end(), 0, SYSTEM_ACTOR)
        else:
            getattr(post, name)()
        after = post.entries()

        assert sum(e.amount_minor for e in after if e.post_id == post.post_id) \
            == post.expected()
        assert all(type(e.amount_minor) is int for e in after)
        # Entries are only ever added; what an entry says never changes.
        assert [(e.id, e.amount_minor, e.kind) for e in after][:len(before)] == \
            [(e.id, e.amount_minor, e.kind) for e in before]
        # No balance moves without an entry: the balances add up to the entries.
        view = affiliate_earnings(SYSTEM, post.affiliate["id"], limit=1)
        in_balances = sum(b[k] for b in view["balances"]
                          for k in ("pending", "held", "approved", "paid", "clawback"))
        outside = sum(e.amount_minor for e in after
                      if e.status in ("over_budget", "rejected"))
        assert in_balances + outside == sum(e.amount_minor for e in after)
        _paid_once_everywhere()

"""A report moves trust at most once, through the database, for any sequence of re-runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Report, TrustEffect
from reconcile.platforms.fetching import FetchOutcome
from reconcile.rules import Status, event_for
from reconcile.services.reconciliation.attempts import Job, run_attempt
from tests.integration.flows import ledger, post_url, submit_claim, trust
from tests.integration.tracking_fake import FakeTracking


def _post_of(report_id: int) -> int:
    with unit_of_work() as uow:
        return int(uow.session.get(Report, report_id).post_id)


CLAIM = (1000, 50, 5)
# What the platform answers for the claim above to produce each outcome (h close to 0);
# the post's tracked link always counted the claimed 50 clicks and 5 conversions.
SHOWN: dict[Status, FetchOutcome] = {
    Status.MATCHED: FetchOutcome(metrics={"views": 1000}),
    Status.DISCREPANCY_LOW: FetchOutcome(metrics={"views": 926}),
    Status.DISCREPANCY_MEDIUM: FetchOutcome(metrics={"views": 870}),
    Status.DISCREPANCY_HIGH: FetchOutcome(metrics={"views": 1430}),
    Status.AFFILIATE_OVERCLAIMED: FetchOutcome(metrics={"views": 800}),
    Status.INCOMPLETE_PLATFORM_DATA: FetchOutcome(metrics={"views": None}),
    Status.MISSING_PLATFORM_DATA: FetchOutcome(missing_reason="not_found"),
}


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outcomes=st.lists(st.sampled_from(list(SHOWN)), min_size=1, max_size=5))
def test_any_sequence_of_reruns_leaves_one_effect_for_the_last_verified_outcome(
    world: Any, dispatched: Any, outcomes: list[Status]
) -> None:
    affiliate = world.new_affiliate()
    report_id = submit_claim(world, affiliate, "youtube", post_url("youtube"), CLAIM)
    tracking = FakeTracking()
    tracking.link(_post_of(report_id), clicks=CLAIM[1], conversions=CLAIM[2])
    shown: dict[str, FetchOutcome] = {}

    def fetch(platform: str, post_ids: Sequence[str]) -> dict[str, FetchOutcome]:
        return dict.fromkeys(post_ids, shown["now"])

    for n, outcome in enumerate(outcomes, start=1):
        shown["now"] = SHOWN[outcome]
        assert run_attempt(Job(report_id, n, trigger="rerun"), fetch=fetch,
                           counters=tracking.counters()) == outcome

    events = [event_for(o) for o in outcomes if event_for(o) is not None]
    changes = sum(1 for a, b in zip(events, events[1:], strict=False) if a != b)
    rows = ledger(report_id)
    assert len(rows) == (1 + 2 * changes if events else 0)
    with unit_of_work() as uow:
        effect = uow.session.scalars(
            select(TrustEffect).where(TrustEffect.report_id == report_id)).one_or_none()
    assert (effect.event if effect else None) == (events[-1] if events else None)
    net = sum(r.delta for r in rows)
    assert net == pytest.approx(effect.delta if effect else 0.0)
    assert trust(affiliate["id"]) == pytest.approx(0.5 + net)

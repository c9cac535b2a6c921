"""A report moves trust at most once, through the database, for any sequence of re-runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import TrustEffect
from reconcile.platforms.fetching import FetchOutcome
from reconcile.rules import Status, event_for
from reconcile.services.reconciliation.attempts import Job, run_attempt
from tests.integration.flows import ledger, post_url, submit_claim, trust

CLAIM = (1000, 50, 5)
# What the platform shows for the claim above to produce each outcome (h close to 0).
SHOWN: dict[Status, dict[str, int | None]] = {
    Status.MATCHED: {"views": 1000, "clicks": 50, "conversions": 5},
    Status.DISCREPANCY_LOW: {"views": 926, "clicks": 50, "conversions": 5},
    Status.DISCREPANCY_MEDIUM: {"views": 870, "clicks": 50, "conversions": 5},
    Status.DISCREPANCY_HIGH: {"views": 1430, "clicks": 50, "conversions": 5},
    Status.AFFILIATE_OVERCLAIMED: {"views": 800, "clicks": 50, "conversions": 5},
    Status.INCOMPLETE_PLATFORM_DATA: {"views": None, "clicks": 50, "conversions": 5},
    Status.MISSING_PLATFORM_DATA: {"views": None, "clicks": None, "conversions": None},
}


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outcomes=st.lists(st.sampled_from(list(SHOWN)), min_size=1, max_size=5))
def test_any_sequence_of_reruns_leaves_one_effect_for_the_last_verified_outcome(
    world: Any, dispatched: Any, outcomes: list[Status]
) -> None:
    affiliate = world.new_affiliate()
    report_id = submit_claim(world, affiliate, "youtube", post_url("youtube"), CLAIM)
    shown: dict[str, dict[str, int | None]] = {}

    def fetch(platform: str, post_ids: Sequence[str]) -> dict[str, FetchOutcome]:
        return {pid: FetchOutcome(metrics=shown["now"]) for pid in post_ids}

    for n, outcome in enumerate(outcomes, start=1):
        shown["now"] = SHOWN[outcome]
        assert run_attempt(Job(report_id, n, trigger="rerun"), fetch=fetch) == outcome

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

"""A post's trust effect is that of its latest report only (domain.md, Trust score): updating
a post's metrics again and again never farms trust, and a newer report's outcome replaces
the older one's effect through the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import TrustEffect, TrustLedger
from reconcile.platforms.fetching import FetchOutcome
from reconcile.rules import Status, event_for
from reconcile.services.reconciliation.attempts import Job, run_attempt
from reconcile.services.tracking.counts import has_tracked_link
from tests.integration.flows import post_url, submit_claim, trust

CLAIM = {"claimed_views": 1000, "claimed_clicks": 50, "claimed_conversions": 5}
SHOWN: dict[Status, dict[str, int | None]] = {
    Status.MATCHED: {"views": 1000, "likes": 50, "comments": 5},
    Status.DISCREPANCY_LOW: {"views": 926, "likes": 50, "comments": 5},
    Status.AFFILIATE_OVERCLAIMED: {"views": 800, "likes": 50, "comments": 5},
    Status.MISSING_PLATFORM_DATA: {"views": None, "likes": None, "comments": None},
}


@pytest.fixture
def platform_shows() -> Shows:
    """What the (faked) platform shows for every post: set ["now"] to an outcome."""
    return Shows(now=Status.MATCHED)


class Shows(dict[str, Any]):
    """A fake platform fetch (pass it as `fetch=`) showing SHOWN[self["now"]] for any post."""

    def __call__(self, platform: str, post_ids: Sequence[str]) -> dict[str, FetchOutcome]:
        return {pid: FetchOutcome(metrics=SHOWN[self["now"]]) for pid in post_ids}


def _ledger(affiliate_id: int) -> list[TrustLedger]:
    with unit_of_work() as uow:
        return list(uow.session.scalars(select(TrustLedger).where(
            TrustLedger.affiliate_id == affiliate_id).order_by(TrustLedger.id)))


def _effects(affiliate_id: int) -> list[TrustEffect]:
    with unit_of_work() as uow:
        return list(uow.session.scalars(select(TrustEffect).where(
            TrustEffect.affiliate_id == affiliate_id)))


def test_twenty_identical_metric_updates_move_trust_by_one_match_at_most(
    client: Any, world: Any, dispatched: Any, platform_shows: dict[str, Any]
) -> None:
    affiliate = world.new_affiliate()
    headers = world.auth(affiliate)
    first = client.post("/api/v1/submissions", headers=headers, json={
        "campaign_id": world.campaign_id, "platform": "youtube", "url": post_url(), **CLAIM})
    assert first.status_code == 202
    post_id = first.get_json()["post_id"]
    first_id = first.get_json()["report_id"]
    assert run_attempt(Job(first_id, 1), fetch=platform_shows) == Status.MATCHED

    for _ in range(20):
        again = client.put(f"/api/v1/submissions/{post_id}/metrics", json=CLAIM,
                           headers=headers)
        assert again.status_code == 202
        again_id = again.get_json()["report_id"]
        assert run_attempt(Job(again_id, 1), fetch=platform_shows) == Status.MATCHED

    one_match = active_rules().trust.deltas["perfect_match"]
    assert trust(affiliate["id"]) == pytest.approx(0.5 + one_match)
    assert [r.event for r in _ledger(affiliate["id"])] == ["perfect_match"]
    effects = _effects(affiliate["id"])
    assert len(effects) == 1 and effects[0].post_id == post_id
    assert effects[0].report_id == max(r for r, _, _ in dispatched.sent)  # the latest holds it


def test_a_newer_report_s_outcome_replaces_the_older_one_s_effect(
    world: Any, dispatched: Any, platform_shows: dict[str, Any]
) -> None:
    from reconcile.services.intake.submissions import Claim, update_metrics
    from reconcile.services.principal import Principal

    affiliate = world.new_affiliate()
    old = submit_claim(world, affiliate, "youtube", post_url(), (1000, 50, 5))
    run_attempt(Job(old, 1), fetch=platform_shows)
    post_id = _effects(affiliate["id"])[0].post_id
    new = update_metrics(Principal(affiliate["id"], "AFFILIATE"), post_id,
                         Claim(1000, 50, 5), has_link=has_tracked_link)["report_id"]
    platform_shows["now"] = Status.AFFILIATE_OVERCLAIMED

    run_attempt(Job(new, 1), fetch=platform_shows)

    deltas = active_rules().trust.deltas
    rows = [(r.report_id, r.event, r.delta) for r in _ledger(affiliate["id"])]
    assert rows == [(old, "perfect_match", deltas["perfect_match"]),
                    (old, "reversal:perfect_match", -deltas["perfect_match"]),
                    (new, "overclaim", deltas["overclaim"])]
    assert trust(affiliate["id"]) == pytest.approx(0.5 + deltas["overclaim"])
    assert [(e.report_id, e.event) for e in _effects(affiliate["id"])] == [(new, "overclaim")]


def test_an_older_report_reconciled_after_a_newer_one_moves_no_trust(
    world: Any, dispatched: Any, platform_shows: dict[str, Any]
) -> None:
    from reconcile.services.intake.submissions import Claim, update_metrics
    from reconcile.services.principal import Principal

    affiliate = world.new_affiliate()
    old = submit_claim(world, affiliate, "youtube", post_url(), (1000, 50, 5))
    with unit_of_work() as uow:
        from reconcile.persistence.models import Report

        post_id = uow.session.get(Report, old).post_id
    new = update_metrics(Principal(affiliate["id"], "AFFILIATE"), post_id,
                         Claim(1000, 50, 5), has_link=has_tracked_link)["report_id"]
    run_attempt(Job(new, 1), fetch=platform_shows)
    platform_shows["now"] = Status.AFFILIATE_OVERCLAIMED

    # Recorded, as history.
    assert run_attempt(Job(old, 1), fetch=platform_shows) == Status.AFFILIATE_OVERCLAIMED

    assert [(r.report_id, r.event) for r in _ledger(affiliate["id"])] == [
        (new, "perfect_match")]
    assert [e.report_id for e in _effects(affiliate["id"])] == [new]


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(list(SHOWN))),
                      min_size=1, max_size=8))
def test_any_order_of_attempts_on_a_post_s_reports_leaves_the_latest_report_s_effect(
    world: Any, dispatched: Any, platform_shows: dict[str, Any],
    steps: list[tuple[int, Status]],
) -> None:
    """Three reports of one post, attempted (and re-run) in any order with any outcome: the
    post's effect is the last verified outcome of the newest report that has one, the score
    is 0.5 plus that effect, and the ledger sums to the same."""
    from reconcile.services.intake.submissions import Claim, update_metrics
    from reconcile.services.principal import Principal

    affiliate = world.new_affiliate()
    principal = Principal(affiliate["id"], "AFFILIATE")
    reports = [submit_claim(world, affiliate, "youtube", post_url(), (1000, 50, 5))]
    with unit_of_work() as uow:
        from reconcile.persistence.models import Report

        post_id = uow.session.get(Report, reports[0]).post_id
    reports += [update_metrics(principal, post_id, Claim(1000, 50, 5),
                               has_link=has_tracked_link)["report_id"]
                for _ in range(2)]
    numbers = dict.fromkeys(reports, 0)
    holder: tuple[int, str] | None = None  # (report index, event) the rule says holds it
    for index, outcome in steps:
        report = reports[index]
        numbers[report] += 1
        platform_shows["now"] = outcome
        run_attempt(Job(report, numbers[report], trigger="rerun"), fetch=platform_shows)
        event = event_for(outcome)
        if event is not None and (holder is None or index >= holder[0]):
            holder = (index, event)

    deltas = active_rules().trust.deltas
    expected = deltas[holder[1]] if holder else 0.0
    effects = _effects(affiliate["id"])
    assert [(e.report_id, e.event) for e in effects] == (
        [(reports[holder[0]], holder[1])] if holder else [])
    assert trust(affiliate["id"]) == pytest.approx(0.5 + expected)
    assert sum(r.delta for r in _ledger(affiliate["id"])) == pytest.approx(expected)

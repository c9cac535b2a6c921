"""Concurrent attempts for one affiliate lose no trust update (domain.md, "Trust score").

200 reports of one affiliate are reconciled from many threads at once, some delivered twice,
against PostgreSQL's row locks. The platform answers are fixed in memory so that the test
measures the database, not the network.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Report, TrustEffect, TrustLedger
from reconcile.platforms.fetching import FetchOutcome
from reconcile.rules import Status, plan_effect
from reconcile.services.reconciliation.attempts import Job, run_attempt, run_attempts
from tests.conftest import requires_postgres
from tests.integration.flows import post_url, submit_claim, trust
from tests.integration.tracking_fake import FakeTracking

TRUTH = {"views": 1000}  # the platform's views; tracked links counted 50 clicks, 5 conversions
# claimed views -> the outcome against TRUTH; counts chosen so that no order of the events
# reaches 0 or 1 (all gains: 0.95, all losses first: 0.01), where clamping would make the
# order matter.
MIX = [
    (1000, Status.MATCHED, 45),
    (1080, Status.DISCREPANCY_LOW, 20),
    (1150, Status.DISCREPANCY_MEDIUM, 3),
    (700, Status.DISCREPANCY_HIGH, 2),
    (1250, Status.AFFILIATE_OVERCLAIMED, 1),
    (None, Status.INCOMPLETE_PLATFORM_DATA, 129),
]
THREADS = 12


def _fake_fetch(incomplete: set[str]) -> Any:
    def fetch(platform: str, post_ids: Sequence[str]) -> dict[str, FetchOutcome]:
        return {
            pid: FetchOutcome(metrics={**TRUTH, "views": None} if pid in incomplete else TRUTH)
            for pid in post_ids
        }
    return fetch


def _sequential_score(statuses: list[str]) -> float:
    rules = active_rules().trust
    score = rules.initial
    for status in statuses:
        for entry in plan_effect(score, None, status, rules):
            score = entry.score_after
    return score


def test_two_hundred_concurrent_attempts_for_one_affiliate_lose_no_trust_update(
    world: Any, dispatched: Any
) -> None:
    requires_postgres()
    affiliate = world.new_affiliate()
    reports: list[tuple[int, str]] = []
    incomplete_posts: set[str] = set()
    for views, status, count in MIX:
        for _ in range(count):
            claim = (views or 1000, 50, 5)
            report_id = submit_claim(world, affiliate, "youtube", post_url("youtube"), claim)
            reports.append((report_id, status))
            if views is None:
                incomplete_posts.add(_post_id_of(report_id))
    fetch = _fake_fetch(incomplete_posts)
    tracking = FakeTracking()
    for report_id, _ in reports:
        tracking.link(_db_post_of(report_id), clicks=50, conversions=5)
    counters = tracking.counters()
    jobs = [Job(report_id, 1) for report_id, _ in reports]
    jobs += [Job(report_id, 1) for report_id, _ in reports[::4]]  # duplicate deliveries
    random.Random(7).shuffle(jobs)
    singles, batches = jobs[:150], [jobs[i:i + 5] for i in range(150, len(jobs), 5)]

    with ThreadPoolExecutor(THREADS) as pool:
        done = list(pool.map(lambda job: run_attempt(job, fetch=fetch, counters=counters),
                             singles))
        done += [s for batch in pool.map(
                     lambda b: run_attempts(b, fetch=fetch, counters=counters), batches)
                 for s in batch]

    assert sorted(s for s in done if s) == sorted(str(status) for _, status in reports)
    events = [status for _, status in reports if status != Status.INCOMPLETE_PLATFORM_DATA]
    expected = _sequential_score([str(s) for s in events])
    assert expected == pytest.approx(0.46)
    assert trust(affiliate["id"]) == pytest.approx(expected)
    rows = _ledger(affiliate["id"])
    assert len(rows) == len(events) == _effects(affiliate["id"])
    # Each row starts from the score the previous one left: the updates were serialised.
    score = active_rules().trust.initial
    for row in rows:
        assert row.score_after == pytest.approx(score + row.delta)
        score = row.score_after
    assert score == pytest.approx(expected)


def _db_post_of(report_id: int) -> int:
    with unit_of_work() as uow:
        return int(uow.session.get(Report, report_id).post_id)


def _post_id_of(report_id: int) -> str:
    from reconcile.persistence.models import Post

    with unit_of_work() as uow:
        post_id = uow.session.scalar(
            select(Post.platform_post_id).join(Report, Report.post_id == Post.id)
            .where(Report.id == report_id)
        )
    return str(post_id)


def _ledger(affiliate_id: int) -> list[TrustLedger]:
    with unit_of_work() as uow:
        return list(uow.session.scalars(
            select(TrustLedger).where(TrustLedger.affiliate_id == affiliate_id)
            .order_by(TrustLedger.id)
        ))


def _effects(affiliate_id: int) -> int:
    with unit_of_work() as uow:
        return len(uow.session.scalars(
            select(TrustEffect.report_id).where(TrustEffect.affiliate_id == affiliate_id)
        ).all())

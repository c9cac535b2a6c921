"""A thousand submissions over four workers: all reconciled, every trust ledger balanced."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from tests.conftest import wait_for

CLUSTER = {"workers": 4, "concurrency": 2}
SUBMISSIONS = 1000
TRUTH = (1000, 50, 5)
INITIAL_TRUST = 0.50
# Claims against TRUTH that land in each outcome; None: the platform omits every metric.
CLAIMS: list[tuple[tuple[int, int, int], list[str]]] = [
    ((1000, 50, 5), []),  # MATCHED
    ((1080, 50, 5), []),  # DISCREPANCY_LOW
    ((1150, 50, 5), []),  # DISCREPANCY_MEDIUM
    ((700, 50, 5), []),  # DISCREPANCY_HIGH (underclaim)
    ((1300, 50, 5), []),  # AFFILIATE_OVERCLAIMED, HIGH
    ((1600, 50, 5), []),  # AFFILIATE_OVERCLAIMED, CRITICAL
    ((1000, 50, 5), ["views", "clicks", "conversions"]),  # MISSING after its retries
]


@pytest.mark.timeout(300)
def test_a_thousand_submissions_are_all_reconciled_and_every_trust_ledger_balances(
    cluster: Any, tenant: Any, records: Any
) -> None:
    jobs = []
    for i in range(SUBMISSIONS):
        claim, omit = CLAIMS[i % len(CLAIMS)]
        url = tenant.new_url()
        cluster.sim.post("youtube", url, TRUTH, omit=omit)
        jobs.append((url, claim))

    answers = tenant.submit_many(jobs, threads=8)

    assert [a.status for a in answers] == [202] * SUBMISSIONS
    report_ids = [int(a.body["report_id"]) for a in answers]
    wait_for(lambda: not records.unfinished(report_ids), 240, 1.0,
             what="every submission to be reconciled")
    outcomes = set(records.rows(
        "SELECT DISTINCT status, discrepancy_level FROM reconciliation_logs"))
    assert len(outcomes) == len(CLAIMS), outcomes
    assert set(records.attempt_pairs(report_ids).values()) == {1}
    affiliates = [int(a["id"]) for a in tenant.affiliates]
    ledger: dict[int, float] = defaultdict(float)
    for affiliate_id, delta in records.rows("SELECT affiliate_id, delta FROM trust_ledger"):
        ledger[int(affiliate_id)] += float(delta)
    scores = dict(records.rows("SELECT id, trust_score FROM users WHERE role = 'AFFILIATE'"))
    for affiliate_id in affiliates:
        expected = round(float(scores[affiliate_id]) - INITIAL_TRUST, 4)
        assert abs(round(ledger[affiliate_id], 4) - expected) < 1e-9, affiliate_id

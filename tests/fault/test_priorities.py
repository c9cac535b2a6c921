"""A high-priority job overtakes a backlog of normal ones (separate queues, read in order)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import wait_for

CLUSTER = {"workers": 0}
BACKLOG = 1000
MUST_OVERTAKE = 900
CLAIM = (1000, 50, 5)
# A click-through rate of 110 % is over 3 x the 35 % limit: a HIGH `high_ctr` flag.
SUSPICIOUS = (100, 110, 0)


@pytest.mark.timeout(300)
def test_a_high_priority_job_queued_behind_a_thousand_normal_ones_finishes_before_most(
    cluster: Any, tenant: Any, records: Any
) -> None:
    backlog = tenant.submit_many(((tenant.new_url(), CLAIM) for _ in range(BACKLOG)), threads=8)
    assert {(a.status, a.body.get("priority")) for a in backlog} == {(202, "normal")}
    high = tenant.submit(tenant.affiliates[0], tenant.new_url(), SUSPICIOUS)
    assert (high.status, high.body["priority"]) == (202, "high"), high.body
    assert cluster.broker.queue_lengths() == {"high": 1, "normal": BACKLOG, "low": 0}

    cluster.start_workers(["w1", "w2"], concurrency=2)

    normal_ids = [int(a.body["report_id"]) for a in backlog]
    high_id = int(high.body["report_id"])
    finished = wait_for(
        lambda: (found := records.finished_at([*normal_ids, high_id])) and
        len(found) == BACKLOG + 1 and found, 240, 1.0, what="every job to be done")
    overtaken = sum(1 for r in normal_ids if finished[r] > finished[high_id])
    assert overtaken >= MUST_OVERTAKE, f"the high job finished after {BACKLOG - overtaken}"

"""Redis goes away during a burst of submissions: nothing answered 202 is lost."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.fault.tenant import Answer

CLUSTER = {"workers": 2, "concurrency": 2, "beat": True}
TRUTH = (1000, 50, 5)
SUBMISSIONS, THREADS, PER_SECOND = 200, 4, 10
OUTAGE_SECONDS = 10
# Messages lost with Redis wait for the sweep: 60 s without an attempt, swept every 30 s.
RECOVERY_SECONDS = 150


def _burst(tenant: Any, urls: list[str], answers: list[Answer]) -> list[threading.Thread]:
    """Submit every URL at a steady rate from a few threads, so the burst spans the outage."""
    start, lock, cursor = time.monotonic(), threading.Lock(), iter(enumerate(urls))

    def submitter() -> None:
        while True:
            with lock:
                i, url = next(cursor, (None, ""))
            if i is None:
                return
            time.sleep(max(0.0, start + i / PER_SECOND - time.monotonic()))  # pacing
            answers.append(tenant.submit(tenant.affiliates[i % len(tenant.affiliates)],
                                         url, TRUTH))

    threads = [threading.Thread(target=submitter, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    return threads


@pytest.mark.timeout(360)
def test_every_submission_answered_202_during_a_redis_outage_is_reconciled_afterwards(
    cluster: Any, tenant: Any, records: Any
) -> None:
    urls = [tenant.new_url() for _ in range(SUBMISSIONS)]
    for url in urls:
        cluster.sim.post("youtube", url, TRUTH)
    answers: list[Answer] = []
    threads = _burst(tenant, urls, answers)
    wait_for(lambda: len(answers) >= SUBMISSIONS // 4, 60, what="the burst to get going")

    down_at = time.time()
    cluster.stop_redis()
    time.sleep(OUTAGE_SECONDS)  # the outage itself; the burst goes on meanwhile
    cluster.start_redis()
    up_at = time.time()
    for thread in threads:
        thread.join(120)

    assert len(answers) == SUBMISSIONS
    during = [a for a in answers if down_at <= a.at <= up_at]
    assert len(during) >= SUBMISSIONS // 4, "too few submissions met the outage"
    assert {a.status for a in answers} <= {202, 503}, sorted({a.status for a in answers})
    refused = [a.url for a in answers if a.status == 503]
    assert records.stored_urls(refused) == [], "a refused submission left a post behind"
    report_ids = [int(a.body["report_id"]) for a in answers if a.status == 202]
    wait_for(lambda: not records.unfinished(report_ids), RECOVERY_SECONDS, 1.0,
             what="every accepted submission to be reconciled")
    assert set(records.attempt_pairs(report_ids).values()) == {1}

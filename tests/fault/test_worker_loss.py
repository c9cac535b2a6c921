"""A worker process that dies or is stopped mid-attempt loses nothing and does nothing twice."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.fault.processes import children, running

CLUSTER = {"workers": 2, "concurrency": 2}
TRUTH = (1000, 50, 5)
OVERCLAIM = (1600, 50, 5)  # critical: a trust effect and an alert to count
SLOW_MS = 5000

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def slow_platform(cluster: Any) -> Iterator[None]:
    """Make every YouTube answer take seconds, so an attempt is caught in flight."""
    cluster.sim.fault("youtube", latency_ms=SLOW_MS)
    yield
    cluster.sim.fault("youtube")


def _submit(cluster: Any, tenant: Any, claim: tuple[int, int, int]) -> int:
    url = tenant.new_url()
    cluster.sim.post("youtube", url, TRUTH)
    answer = tenant.submit(tenant.affiliates[0], url, claim)
    assert answer.status == 202, answer.body
    return int(answer.body["report_id"])


def test_a_pool_process_killed_mid_attempt_leaves_the_job_to_be_done_once_by_another(
    cluster: Any, tenant: Any, records: Any, slow_platform: None
) -> None:
    calls_before = cluster.sim.calls("youtube")
    report_id = _submit(cluster, tenant, OVERCLAIM)
    # Caught while the platform holds its answer: fetched, but nothing committed yet.
    worker, pid = wait_for(
        lambda: cluster.sim.calls("youtube") > calls_before and cluster.running_attempt(report_id),
        30, 0.1, what=f"an attempt of report {report_id} waiting on the platform")
    assert pid in children(cluster.workers[worker].pid), "expected a pool child process"

    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not running(pid), 10, what=f"process {pid} to die")

    wait_for(lambda: not records.unfinished([report_id]), 60, 0.2,
             what=f"report {report_id} to be reconciled after the kill")
    assert records.attempts([report_id])[report_id] == 1
    assert records.ledger([report_id])[report_id] == 1
    assert records.alerts([report_id])[report_id] == 1
    # The killed fetch and the redelivered one: the job really ran a second time.
    assert cluster.sim.calls("youtube") - calls_before >= 2


def test_a_worker_stopped_with_sigterm_finishes_or_hands_back_its_attempts(
    cluster: Any, tenant: Any, records: Any, slow_platform: None
) -> None:
    report_ids = [_submit(cluster, tenant, TRUTH) for _ in range(6)]
    worker = wait_for(lambda: next((name for name, tasks in
                                    cluster.broker.active(list(cluster.workers)).items()
                                    if any(t["name"] == "reconcile.attempt" for t in tasks)),
                                   None), 30, 0.1, what="an attempt in flight")
    service = cluster.workers[worker]

    service.signal(signal.SIGTERM)
    try:
        wait_for(lambda: not service.alive(), 60, 0.2, what=f"{worker} to shut down warm")
        assert service.popen.returncode == 0, service.output()
        wait_for(lambda: not records.unfinished(report_ids), 60, 0.2,
                 what="every report to be reconciled")
    finally:
        cluster.stop_worker(worker)
        cluster.start_workers([worker])
    assert set(records.attempts(report_ids).values()) == {1}
    assert set(records.ledger(report_ids).values()) == {1}

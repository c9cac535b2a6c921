"""Duplicated deliveries and dropped database connections never make an attempt run twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import requires_postgres, wait_for

CLUSTER = {"workers": 3, "concurrency": 2}
TRUTH = (1000, 50, 5)
OVERCLAIM = (1600, 50, 5)  # critical: one trust effect and one alert per run

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def slow_platform(cluster: Any) -> Iterator[None]:
    cluster.sim.fault("youtube", latency_ms=3000)
    yield
    cluster.sim.fault("youtube")


def test_one_job_delivered_five_more_times_at_once_makes_one_attempt_effect_and_alert(
    cluster: Any, tenant: Any, records: Any, slow_platform: None
) -> None:
    url = tenant.new_url()
    cluster.sim.post("youtube", url, TRUTH)
    answer = tenant.submit(tenant.affiliates[0], url, OVERCLAIM)
    assert answer.status == 202, answer.body
    report_id = int(answer.body["report_id"])

    for _ in range(5):  # the API already sent it once: six deliveries in all
        cluster.broker.send_attempt(report_id, 1)

    # Several pool processes hold the same attempt at once: they really race for it.
    wait_for(lambda: len({pid for _, pid in
                          cluster.broker.attempts_in_flight(list(cluster.workers), report_id)})
             >= 2, 20, 0.1, what=f"two processes running report {report_id} at once")
    wait_for(lambda: not records.unfinished([report_id]), 60, 0.2,
             what=f"report {report_id} to be reconciled")
    # Every copy has been run once the queue is empty and the workers idle.
    wait_for(lambda: not any(cluster.broker.active(list(cluster.workers)).values())
             and not cluster.broker.queue_lengths()["normal"], 30, 0.2,
             what="the copies to be run")
    assert records.attempts([report_id])[report_id] == 1
    assert records.ledger([report_id])[report_id] == 1
    assert records.alerts([report_id])[report_id] == 1


def _terminate_backends(records: Any) -> int:
    """Kill every other connection to the cluster's database; return how many."""
    return int(records.scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t"
        " WHERE killed"))


def test_attempts_survive_their_database_connections_being_terminated(
    cluster: Any, tenant: Any, records: Any
) -> None:
    requires_postgres()
    cluster.sim.fault("youtube", latency_ms=1000)
    try:
        urls = [tenant.new_url() for _ in range(50)]
        for url in urls:
            cluster.sim.post("youtube", url, TRUTH)
        answers = tenant.submit_many((url, TRUTH) for url in urls)
        assert {a.status for a in answers} == {202}
        report_ids = [int(a.body["report_id"]) for a in answers]

        terminated = 0
        deadline = time.monotonic() + 90
        while records.unfinished(report_ids) and time.monotonic() < deadline:
            terminated += _terminate_backends(records)
            time.sleep(0.2)  # pacing the fault, not waiting for a result
    finally:
        cluster.sim.fault("youtube")

    assert terminated > 0
    assert records.unfinished(report_ids) == set()
    pairs = records.attempt_pairs(report_ids)
    assert set(pairs.values()) == {1}
    assert {r for r, n in pairs if n == 1} == set(report_ids)

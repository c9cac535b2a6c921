"""The issue's check: a platform failing under a pool of workers opens one shared breaker
after fail_max calls, its reports wait without hammering it, and all resume once it heals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconcile.bootstrap import active_rules
from reconcile.platforms import breaker
from tests.conftest import wait_for
from tests.integration.pools import Pool, attempts_of, isolated, logs_of, submit_reports

REPORTS = 200
WAITING = {"fetch_error", "circuit_open"}


@pytest.fixture(scope="module")
def pool(stack: Any, simulator: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    # One worker of two processes.
    with isolated(tmp_path_factory.mktemp("breaker-pool"), workers=2) as own:
        yield own


def test_a_failing_platform_opens_the_shared_breaker_and_every_report_resumes_after(
    pool: Pool, world: Any,
) -> None:
    breaker.reset("youtube")
    pool.fault("youtube", "error")
    before = pool.calls("youtube")
    try:
        pool.pause()
        try:
            ids = submit_reports(world, REPORTS)
        finally:
            pool.resume()
        wait_for(lambda: breaker.snapshot("youtube").state != breaker.CLOSED, 30,
                 what="the breaker to open")
        # Calls already in flight when it opened may land too: one per other process.
        assert pool.calls("youtube") - before <= active_rules().breaker.fail_max + 2

        def waiting() -> bool:
            logs = logs_of(ids)
            return len(logs) == REPORTS and all(
                log.missing_reason in WAITING and log.scheduled_retry_at is not None
                and not log.is_terminal for log in logs.values())

        wait_for(waiting, 60, 0.2, what="every report to wait for the platform")
        logs, attempts = logs_of(ids), attempts_of(ids)
        # The first batches failed (fetch_error, an attempt spent); the breaker deferred
        # the rest, and soon the retries of the first as well.
        assert "circuit_open" in {log.missing_reason for log in logs.values()}
        assert any(log.attempt_count == 1 for log in logs.values())
        # A deferral spends no attempt: the log still counts only the attempts made.
        assert all(attempts[rid] == log.attempt_count for rid, log in logs.items())
        assert all(log.status == "PENDING" for log in logs.values() if log.attempt_count == 0)
    finally:
        pool.fault("youtube", "none")

    wait_for(lambda: {log.status for log in logs_of(ids).values()} == {"MATCHED"}, 90, 0.5,
             what="every report to reconcile once the platform is back")
    assert breaker.snapshot("youtube").state == breaker.CLOSED

"""Batched fetching: jobs queued together share platform calls, each keeps its own attempt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconcile.dispatch import get_dispatcher, set_dispatcher
from reconcile.platforms import breaker
from tests.conftest import wait_for
from tests.integration.conftest import RecordingDispatcher
from tests.integration.pools import Pool, attempts_of, isolated, logs_of, submit_reports

REPORTS = 30


@pytest.fixture(scope="module")
def pool(stack: Any, simulator: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    with isolated(tmp_path_factory.mktemp("batching"), workers=2) as own:
        breaker.reset("youtube")
        yield own


def _all_matched(ids: list[int]) -> bool:
    return {log.status for log in logs_of(ids).values()} == {"MATCHED"}


def test_reports_queued_together_take_a_few_platform_calls_yet_each_gets_its_own_attempt(
    pool: Pool, world: Any,
) -> None:
    before = pool.calls("youtube")
    pool.pause()
    try:
        ids = submit_reports(world, REPORTS)
    finally:
        pool.resume()
    wait_for(lambda: _all_matched(ids), 60, 0.2, what="every report to reconcile")
    # Two worker processes each take one job and drain the rest: a call per batch of 50.
    assert pool.calls("youtube") - before <= 4
    assert attempts_of(ids) == dict.fromkeys(ids, 1)


def test_a_job_due_later_is_not_run_early_by_a_batch(pool: Pool, world: Any) -> None:
    recorder = RecordingDispatcher()
    set_dispatcher(recorder)
    try:
        [later] = submit_reports(world, 1)
    finally:
        set_dispatcher(None)
    pool.pause()
    try:
        get_dispatcher().reconcile(later, 1, countdown=3600)
        ids = submit_reports(world, 10)
    finally:
        pool.resume()
    wait_for(lambda: _all_matched(ids), 60, 0.2, what="the ready reports to reconcile")
    assert logs_of([later])[later].status == "PENDING"
    assert attempts_of([later]) == {later: 0}


def _batch_starts(ids: list[int]) -> dict[int, Any]:
    """Each report's first attempt's start: a batch's attempts share one."""
    from sqlalchemy import select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Attempt

    with unit_of_work() as uow:
        return dict(uow.session.execute(
            select(Attempt.report_id, Attempt.started_at)
            .where(Attempt.report_id.in_(ids), Attempt.attempt_number == 1)
        ).all())


def test_a_high_job_takes_no_normal_jobs_into_its_batch(pool: Pool, world: Any) -> None:
    recorder = RecordingDispatcher()
    set_dispatcher(recorder)
    try:
        [urgent] = submit_reports(world, 1)  # stored, not yet dispatched
    finally:
        set_dispatcher(None)
    pool.pause()
    try:
        get_dispatcher().reconcile(urgent, 1, priority="high")
        normal = submit_reports(world, 20)
    finally:
        pool.resume()
    wait_for(lambda: _all_matched([urgent, *normal]), 60, 0.2, what="every report to reconcile")
    starts = _batch_starts([urgent, *normal])
    # The normal reports were batched together; none rode along with the high job.
    assert len({starts[r] for r in normal}) < len(normal)
    assert starts[urgent] not in {starts[r] for r in normal}

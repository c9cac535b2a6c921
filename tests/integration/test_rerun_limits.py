"""Re-runs have their own limit and the intake's backpressure, and beat's own tasks never
wait behind them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconcile.bootstrap import use_rules
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import ReconciliationLog
from reconcile.rules import rules_from_mapping
from reconcile.services.reconciliation.attempts import Job, run_attempt
from tests.conftest import wait_for
from tests.integration.apihelp import make_scene, post_url, reconcile_now, submit_as
from tests.integration.brokers import private_broker
from tests.integration.conftest import start_worker
from tests.integration.flows import log_of

LIMIT = 3


@pytest.fixture
def scene(dispatched: Any) -> Any:
    return make_scene()


@pytest.fixture
def small_limit() -> Iterator[None]:
    use_rules(rules_from_mapping({"intake": {"max_rerun_backlog": LIMIT}}))
    yield
    use_rules(None)


def _run(client: Any, scene: Any, report_ids: list[int]) -> Any:
    return client.post("/api/v1/reconciliation/run", headers=scene.key("CLIENT"),
                       json={"report_ids": report_ids, "force": True})


def _finished(scene: Any, sim: Any, n: int) -> list[int]:
    done = []
    for _ in range(n):
        url = post_url("reddit")
        accepted = submit_as(scene.users["AFFILIATE"], scene.campaign_a, "reddit", url)
        assert reconcile_now(sim, accepted, "reddit", url, (1000, 50, 5)) == "MATCHED"
        done.append(int(accepted["report_id"]))
    return done


def _drain_waiting_reruns() -> None:
    """Settle every re-run other tests left waiting, so the limit counts only this test's."""
    with unit_of_work() as uow:
        for rlog in uow.session.query(ReconciliationLog).filter(
                ReconciliationLog.job_trigger == "rerun",
                ReconciliationLog.is_terminal.is_(False)):
            rlog.is_terminal, rlog.job_trigger = True, None


def test_re_runs_beyond_the_limit_wait_for_room_503(
    client: Any, scene: Any, sim: Any, dispatched: Any, small_limit: None
) -> None:
    _drain_waiting_reruns()
    reports = _finished(scene, sim, LIMIT + 1)
    dispatched.sent.clear()

    first = _run(client, scene, reports[:LIMIT])
    refused = _run(client, scene, reports[LIMIT:])

    assert first.status_code == 202
    assert (refused.status_code, refused.get_json()["code"]) == (503, "OVERLOADED")
    assert int(refused.headers["Retry-After"]) > 0
    assert log_of(reports[LIMIT]).is_terminal  # nothing reopened, nothing sent
    assert sorted(r for r, _, _ in dispatched.sent) == sorted(reports[:LIMIT])
    run_attempt(Job(reports[0], 2, trigger="rerun"))  # one of them ran: room for one more
    assert _run(client, scene, reports[LIMIT:]).status_code == 202


def test_a_request_larger_than_the_limit_is_refused_outright(
    client: Any, scene: Any, sim: Any, dispatched: Any, small_limit: None
) -> None:
    reports = _finished(scene, sim, LIMIT + 1)

    resp = _run(client, scene, reports)

    assert resp.status_code == 422
    assert "narrow the scope" in resp.get_json()["errors"][0]["message"]


def test_re_runs_wait_while_the_intake_is_paused(
    client: Any, scene: Any, sim: Any, dispatched: Any
) -> None:
    report = _finished(scene, sim, 1)
    admin = scene.key("ADMIN")
    client.post("/api/v1/ops/intake", json={"paused": True}, headers=admin)
    try:
        resp = _run(client, scene, report)
    finally:
        client.post("/api/v1/ops/intake", json={"paused": False}, headers=admin)

    assert (resp.status_code, resp.get_json()["code"]) == (503, "INTAKE_PAUSED")


def test_beat_s_sweep_runs_before_a_backlog_of_high_jobs(
    world: Any, tmp_path: Any, dispatched: Any
) -> None:
    """3,000 high jobs wait when the workers start; beat's sweep, queued after them, runs
    first (it re-sends a lost report, which is how the test sees it run)."""
    from reconcile.dispatch import get_dispatcher
    from tasks.sweeps import app as beat_app

    lost = submit_as(world.affiliate, world.campaign_id)["report_id"]
    with unit_of_work() as uow:  # submitted long ago, and its message never reached Redis
        rlog = uow.session.query(ReconciliationLog).filter_by(report_id=lost).one()
        rlog.dispatched_at = None
        rlog.scheduled_retry_at = datetime.now(UTC) - timedelta(minutes=5)
    with private_broker() as broker:
        celery = get_dispatcher().app  # type: ignore[attr-defined]
        with celery.producer_or_acquire() as producer:
            for n in range(3000):  # jobs for reports that do not exist: quick no-ops
                celery.send_task("reconcile.attempt", args=[2**40 + n, 1], queue="high",
                                 producer=producer)
        options = beat_app.conf.beat_schedule["sweep-overdue-reports"]["options"]
        celery.send_task("reconcile.sweep", queue=options["queue"])
        # Not waiting for the worker's ping: the ping loop (0.2-0.7 s) let the worker run
        # 1,000 no-op jobs before the test began to look, and CI saw exactly that.
        worker = start_worker(tmp_path, "beat-first", concurrency=1, wait=False)
        try:
            def swept() -> object:
                if worker.popen.poll() is not None:
                    raise AssertionError(f"worker exited:\n{worker.output()[-3000:]}")
                return log_of(lost).dispatched_at
            wait_for(swept, 60, 0.01, what="the sweep to run")
            waiting = int(broker.llen("high"))
        finally:
            worker.stop()
    # Had the backlog starved it, the sweep would run once high is empty (waiting near 0).
    # The test sees the sweep one poll late, while the worker drains 50 no-op jobs per task:
    # half the backlog is the bound that tells the two apart on a loaded machine.
    assert waiting > 1500, f"the sweep ran only once {3000 - waiting} high jobs were done"

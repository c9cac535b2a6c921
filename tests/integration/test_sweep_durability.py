"""The sweep sends a job again only when its message can really be lost; re-runs are as
durable as submissions; a job a dead worker had begun comes back within minutes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert
from reconcile.services.reconciliation.attempts import Job, run_attempt
from reconcile.services.reconciliation.sweeps import LOST_AFTER, sweep
from reconcile.services.reconciliation.targets import load_targets
from tests.integration.apihelp import make_scene, post_url, reconcile_now, submit_as
from tests.integration.brokers import private_broker
from tests.integration.flows import log_of

EMPTY = {"oldest_sent": lambda queue: None}  # every queue empty: the broker lost it all


def _sent(dispatched: Any, report_id: int) -> list[tuple[int, str, str]]:
    return [(n, kw["priority"], kw["trigger"]) for r, n, kw in dispatched.sent if r == report_id]


def _queued(broker: Any, reports: list[int]) -> list[int]:
    """The reports of `reports` that have a job waiting in the normal queue, one per job."""
    jobs = [json.loads(raw)["headers"]["argsrepr"] for raw in broker.lrange("normal", 0, -1)]
    return sorted(r for r in reports for args in jobs if args.startswith(f"[{r}, "))


def test_a_message_still_waiting_behind_a_backlog_is_not_sent_again(
    world: Any, dispatched: Any
) -> None:
    with private_broker() as broker:
        reports = [submit_as(world.affiliate, world.campaign_id)["report_id"] for _ in range(3)]
        assert _queued(broker, reports) == sorted(reports)
        later = datetime.now(UTC) + timedelta(minutes=10)  # a backlog ten minutes long

        sweep(later)
        assert _queued(broker, reports) == sorted(reports)  # no duplicates in the backlog

        broker.delete("normal")  # a Redis restart without persistence
        sweep(later)
        assert _queued(broker, reports) == sorted(reports)  # each sent again, once
        sweep(later)
        assert _queued(broker, reports) == sorted(reports)  # and now it waits again


@pytest.fixture
def scene(dispatched: Any) -> Any:
    return make_scene()


def _finished_report(scene: Any, sim: Any) -> int:
    url = post_url("reddit")
    done = submit_as(scene.users["AFFILIATE"], scene.campaign_a, "reddit", url)
    assert reconcile_now(sim, done, "reddit", url, (1000, 50, 5)) == "MATCHED"
    return int(done["report_id"])


def test_a_forced_rerun_a_dead_worker_had_begun_comes_back_within_minutes(
    client: Any, scene: Any, sim: Any, dispatched: Any
) -> None:
    report_id = _finished_report(scene, sim)
    resp = client.post("/api/v1/reconciliation/run", headers=scene.key("ADMIN"),
                       json={"report_ids": [report_id], "force": True})
    assert resp.status_code == 202
    load_targets([Job(report_id, 2, trigger="rerun")])  # drained into a batch, then kill -9
    dispatched.sent.clear()
    now = datetime.now(UTC)

    sweep(now + timedelta(seconds=30), **EMPTY)
    assert _sent(dispatched, report_id) == []  # its worker may still be running it

    sweep(now + LOST_AFTER + timedelta(seconds=5), **EMPTY)
    assert _sent(dispatched, report_id) == [(2, "high", "rerun")]
    assert log_of(report_id).failures == 1
    assert log_of(report_id).last_failure.startswith("WorkerLost")


def test_a_rerun_whose_dispatch_failed_is_sent_by_the_sweep(
    client: Any, scene: Any, sim: Any, dispatched: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = _finished_report(scene, sim)
    monkeypatch.setattr(dispatched, "reconcile", lambda *a, **k: False)  # the broker is down
    resp = client.post("/api/v1/reconciliation/run", headers=scene.key("CLIENT"),
                       json={"report_ids": [report_id], "force": True})
    assert resp.status_code == 202
    monkeypatch.undo()
    dispatched.sent.clear()

    sweep(datetime.now(UTC) + timedelta(minutes=2), **EMPTY)

    assert _sent(dispatched, report_id) == [(2, "high", "rerun")]
    assert run_attempt(Job(report_id, 2, trigger="rerun")) == "MATCHED"
    assert log_of(report_id).is_terminal and log_of(report_id).job_trigger is None


def test_a_job_that_keeps_killing_its_worker_is_quarantined(
    scene: Any, dispatched: Any
) -> None:
    report_id = submit_as(scene.users["AFFILIATE"], scene.campaign_a)["report_id"]
    now = datetime.now(UTC)
    for _ in range(active_rules().retry.failed.max_tries):
        load_targets([Job(report_id, 1)])  # begun ... and the worker dies
        now += LOST_AFTER + timedelta(minutes=5)
        sweep(now, **EMPTY)

    rlog = log_of(report_id)
    assert (rlog.status, rlog.is_terminal) == ("QUARANTINED", True)
    with unit_of_work() as uow:
        assert uow.session.scalar(select(Alert.type).where(
            Alert.report_id == report_id, Alert.rule == "R7")) == "JOB_QUARANTINED"

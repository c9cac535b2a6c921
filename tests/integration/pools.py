"""A worker pool of its own: its own Redis (queues and breaker state), simulator and workers.

Breaker and batching tests count the simulator's calls exactly and trip breakers on purpose;
on the session's shared Redis and simulator, another test's leftover retries would touch
both. Inside `isolated(...)` this process dispatches to, and reads breakers from, the own
Redis; the session's workers never see these jobs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from reconcile import dispatch
from reconcile.config import redis_client_url
from reconcile.vocabulary import QUEUES
from tests.conftest import Proc
from tests.integration.conftest import start_worker
from tests.simulator import running_sim


@dataclass
class Pool:
    redis_url: str
    sim_url: str
    app: Any
    workers: list[Proc] = field(default_factory=list)

    def fault(self, platform: str, mode: str, **extra: Any) -> None:
        body = {"platform": platform, "mode": mode, **extra}
        requests.put(f"{self.sim_url}/_sim/faults", json=body, timeout=5).raise_for_status()

    def calls(self, platform: str) -> int:
        return int(requests.get(f"{self.sim_url}/_sim/calls", timeout=5).json()[platform])

    def pause(self) -> None:
        """Stop the workers taking jobs, so the next ones queue up together."""
        for queue in QUEUES:
            replies = self.app.control.cancel_consumer(queue, reply=True, timeout=5,
                                                       limit=len(self.workers))
            assert len(replies) == len(self.workers), f"{queue}: {replies}"

    def resume(self) -> None:
        for queue in QUEUES:
            replies = self.app.control.add_consumer(queue, reply=True, timeout=5,
                                                    limit=len(self.workers))
            assert len(replies) == len(self.workers), f"{queue}: {replies}"


@contextmanager
def _own_redis(tmp: Path) -> Iterator[str]:
    # A server of its own even when the session uses a shared one: suites run side by side
    # on one machine would otherwise share (and flush) a database number.
    from reconcile.embedded import start_embedded_redis

    sock = tmp / "own-redis.sock"
    proc = start_embedded_redis(sock)
    try:
        yield f"redis+socket://{sock}"
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def isolated(tmp: Path, workers: int = 0) -> Iterator[Pool]:
    """Yield a pool on its own Redis and simulator, with `workers` worker processes."""
    from celery import Celery

    from reconcile.bootstrap import use_rules

    # This process must count and wait by the same (test) rules as the workers it starts,
    # even if something read the rules before the session pointed RECONCILE_RULES at them.
    use_rules(None)
    with _own_redis(tmp) as url, running_sim(timeout_hold_seconds=5) as sim_url, \
            pytest.MonkeyPatch.context() as mp:
        mp.setenv("REDIS_URL", url)
        mp.setenv("RECONCILE_PLATFORM_BASE_URL", sim_url)
        app = Celery("reconcile")
        app.config_from_object("celeryconfig")
        app.conf.broker_url = url
        # The dispatcher (and start_worker's ping) now talk to the own Redis.
        mp.setattr(dispatch, "_celery_client", lambda: app)
        pool = Pool(url, sim_url, app)
        try:
            if workers:
                pool.workers.append(start_worker(tmp, f"own-{os.getpid()}-{tmp.name}",
                                                 concurrency=workers))
            yield pool
        finally:
            for proc in pool.workers:
                proc.stop()
            app.close()


def own_redis_client(pool: Pool) -> redis.Redis:
    return redis.Redis.from_url(redis_client_url(pool.redis_url))


def submit_reports(world: Any, n: int) -> list[int]:
    """Submit n youtube posts claiming exactly the views the simulator will show (4 at a
    time), and no clicks or conversions: these posts have no tracked link to count them."""
    from concurrent.futures import ThreadPoolExecutor

    from reconcile.services.intake.submissions import Claim, submit
    from reconcile.services.principal import Principal
    from reconcile.sim.store import default_truth
    from tests.conftest import unique_video_id

    principal = Principal(user_id=world.affiliate["id"], role="AFFILIATE")

    def one(_: int) -> int:
        video = unique_video_id()
        truth = default_truth(video)
        claim = Claim(int(truth.views or 0), 0, 0)
        accepted = submit(principal, campaign_id=world.campaign_id, platform="youtube",
                          url=f"https://youtu.be/{video}", claim=claim)
        return int(accepted["report_id"])

    with ThreadPoolExecutor(4) as workers:
        return list(workers.map(one, range(n)))


def logs_of(report_ids: list[int]) -> dict[int, Any]:
    """Return each report's reconciliation log row (detached) by report id."""
    from sqlalchemy import select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import ReconciliationLog

    with unit_of_work() as uow:
        rows = uow.session.scalars(
            select(ReconciliationLog).where(ReconciliationLog.report_id.in_(report_ids))
        ).all()
        uow.session.expunge_all()
        return {r.report_id: r for r in rows}


def attempts_of(report_ids: list[int]) -> dict[int, int]:
    """Return how many attempt rows each report has."""
    from sqlalchemy import func, select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Attempt

    with unit_of_work() as uow:
        rows = uow.session.execute(
            select(Attempt.report_id, func.count()).where(Attempt.report_id.in_(report_ids))
            .group_by(Attempt.report_id)
        ).all()
    return {rid: 0 for rid in report_ids} | {rid: int(n) for rid, n in rows}

"""Redis stopped and hung under `reconcile up` during a burst of submissions; the system
rides it out on its own.

One system (database URL in Heroku's postgres:// form), one Redis of the test's own (no
persistence: a restart loses every queued message), a steady burst throughout. Redis is
stopped for 5 s, then for 1 s a few times more: the Celery worker used to exit in one such
loss of the broker out of a few under load (tasks/connection.py), so one is not enough to show
it no longer does, and how long Redis stays away does not matter to that race. Then Redis
hangs (SIGSTOP) for 15 s and, last, is stopped for 30 s. Then: no answer was slow or a 500,
no child of `reconcile up` died, the worker is back without help, Flower takes events again,
and every submission answered 202 is reconciled (those whose message was lost by the beat's
sweep, 60 to 90 s after the last outage: the longest wait of the test).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from tests.conftest import process_alive, wait_for
from tests.deploy.burst import Answer, Burst, unreconciled
from tests.deploy.services import OwnRedis, new_database
from tests.deploy.system import (
    Up,
    clean_env,
    flower_events,
    reconcile_one,
    wait_until,
    worker_answers,
)

pytestmark = pytest.mark.deploy

PER_SECOND = 5
FEW_SECONDS = 5.0  # no answer may take longer, outage or not
BRIEF_OUTAGES = 4  # of 1 s each, after the 5 s one
# Every 202 whose message was lost waits for the sweep: 60 s after submission, every 30 s.
SWEPT_WITHIN = 150
# Only the rate limits differ from the defaults `make run` uses: the burst is one client.
RULES = "[rate_limits]\nsubmissions_per_hour = 1000000\ndefault_per_hour = 1000000\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    where = tmp_path_factory.mktemp("outages")
    (where / "rules.toml").write_text(RULES)
    redis_server = OwnRedis(where)
    redis_server.start()
    url, plain_url, drop = new_database("postgres")
    system = Up(where, clean_env(DATABASE_URL=url, REDIS_URL=redis_server.url,
                                 RECONCILE_RULES=str(where / "rules.toml")))
    try:
        system.start().wait_ready()
        wait_for(lambda: worker_answers(redis_server.url), 60, 0.5, what="the worker")
        yield {"system": system, "redis": redis_server, "database_url": plain_url}
    finally:
        system.stop()
        redis_server.close()
        drop()


def _redis_down(world: dict, seconds: float) -> tuple[float, float]:
    redis_server: OwnRedis = world["redis"]
    start = time.monotonic()
    redis_server.stop()
    wait_until(start + seconds)  # the outage itself; the burst goes on meanwhile
    redis_server.start()
    end = time.monotonic()
    wait_for(lambda: worker_answers(redis_server.url), 60, 0.5,
             what=f"the worker to reconnect after Redis was down {seconds:g} s")
    return start, end


def _redis_hung(world: dict, seconds: float) -> tuple[float, float]:
    redis_server: OwnRedis = world["redis"]
    start = time.monotonic()
    redis_server.hang()
    wait_until(start + seconds)
    redis_server.resume()
    end = time.monotonic()
    wait_for(lambda: worker_answers(redis_server.url), 60, 0.5,
             what=f"the worker to answer after Redis hung {seconds:g} s")
    return start, end


def _summary(answers: list[Answer]) -> str:
    statuses: dict[str, int] = {}
    for a in answers:
        statuses[str(a.status)] = statuses.get(str(a.status), 0) + 1
    slowest = max(a.seconds for a in answers)
    return f"{len(answers)} answers {statuses}, slowest {slowest:.2f} s"


@pytest.mark.timeout(600)
def test_redis_stopped_and_hung_during_a_burst_loses_nothing_and_kills_nothing(world) -> None:
    system: Up = world["system"]
    burst = Burst(system, PER_SECOND).start()
    try:
        wait_for(lambda: len(burst.answers) >= 2 * PER_SECOND, 30, what="the burst")
        windows = {"down 5 s": _redis_down(world, 5)}
        for n in range(BRIEF_OUTAGES):
            windows[f"down 1 s #{n + 1}"] = _redis_down(world, 1)
        windows["hung 15 s"] = _redis_hung(world, 15)
        windows["down 30 s"] = _redis_down(world, 30)
        time.sleep(2)  # the burst runs on past the last outage (not a synchronisation)
    finally:
        answers = burst.stop()
    print(_summary(answers))

    for name, (start, end) in windows.items():
        met = len(burst.between(start, end))
        assert met >= min(PER_SECOND, PER_SECOND * (end - start)), f"{met} submissions met {name}"
    assert {a.status for a in answers} <= {202, 503}, _summary(answers)
    slow = [a for a in answers if a.seconds > FEW_SECONDS]
    assert not slow, f"answers slower than {FEW_SECONDS} s: {slow[:5]}"

    assert system.supervisor_says() == [], "a child of reconcile up died"
    assert all(system.children().values()), system.children()

    accepted = [a.report_id for a in answers if a.report_id is not None]
    wait_for(lambda: not unreconciled(world["database_url"], accepted), SWEPT_WITHIN, 2.0,
             what=f"all {len(accepted)} accepted submissions to be reconciled")

    # Flower reconnected by itself: it sees the tasks of a claim made now.
    before = flower_events(system)
    assert reconcile_one(system, (1000, 50, 5))["reconciliation"]["status"] == "MATCHED"
    wait_for(lambda: flower_events(system) > before, 30, 0.5, what="Flower to see new tasks")


def test_a_child_that_dies_is_restarted_and_named(world) -> None:
    system: Up = world["system"]
    main = system.child("worker")

    os.kill(main, signal.SIGKILL)
    wait_for(lambda: not process_alive(main), 10, what="the worker to die")

    def restarted() -> bool:
        said = "\n".join(system.supervisor_says())
        return "worker was killed by SIGKILL; restarting it in 1 s" in said and \
            "restarted worker" in said

    wait_for(restarted, 20, 0.2, what="reconcile up to restart the worker")
    wait_for(lambda: worker_answers(world["redis"].url), 60, 0.5, what="the new worker")
    assert reconcile_one(system, (1000, 50, 5))["reconciliation"]["status"] == "MATCHED"
    assert all(system.children().values()), system.children()


def test_interrupting_up_after_a_restart_leaves_no_process_behind(world) -> None:
    system: Up = world["system"]

    running = system.interrupt()

    wait_for(lambda: not [p for p in running if process_alive(p)], 30,
             what="every process of reconcile up to exit")

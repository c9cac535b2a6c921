"""Beat as `reconcile up` and docker-compose start it (`celery -A tasks beat`), on a Redis this
test owns: one beat schedules at a time, a second waits as a standby, and a Redis outage
neither stops beat nor leaves two beats scheduling.

A probe entry (every second, into its own queue) is added to the Redis-backed schedule, so
each beat's log says when it sends, without waiting for the 30 s sweep.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from reconcile import liveness
from reconcile.embedded import redis_server_binary
from tests.conftest import Proc, free_port, wait_for

PROBE = "beat-probe"
SENT = f"Sending due task {PROBE}"


class OwnRedis:
    """A redis-server this test may stop and start again (append-only, as compose runs it)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.dir = directory
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--appendonly", "yes", "--save", "",
             "--loglevel", "warning"], stdout=subprocess.DEVNULL)
        wait_for(lambda: redis.Redis.from_url(self.url).ping(), 10, what="the test's Redis")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: Redis writes its append-only file and exits
            self.proc.wait(10)

    def wipe(self) -> None:
        """Stop without a trace: the next start comes up empty (a lost disk)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        shutil.rmtree(self.dir / "appendonlydir", ignore_errors=True)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def add_probe(redis_url: str) -> None:
    """Put a one-second entry into the schedule that beats on `redis_url` share."""
    code = (
        "from celery.schedules import schedule\n"
        "from redbeat import RedBeatSchedulerEntry\n"
        "from tasks import app\n"
        f"RedBeatSchedulerEntry({PROBE!r}, 'reconcile.beat_probe', schedule(1.0),"
        f" options={{'queue': {PROBE!r}}}, app=app).save()\n"
    )
    subprocess.run([sys.executable, "-c", code], env=_env(redis_url), check=True, timeout=60)


def _env(redis_url: str) -> dict[str, str]:
    # INFO: each send is an INFO line (the session's stack may have set WARNING).
    return {**os.environ, "REDIS_URL": redis_url, "LOG_FORMAT": "text", "LOG_LEVEL": "INFO"}


def start_beat(redis_url: str, log: Path) -> Proc:
    # The command of reconcile/supervisor.py and docker-compose.yml; its own var/ beside the log.
    var = log.with_suffix(".var")
    return Proc([sys.executable, "-m", "celery", "-A", "tasks", "beat", "--loglevel", "INFO"],
                {**_env(redis_url), "RECONCILE_VAR_DIR": str(var)}, log)


def alive_file(beat: Proc) -> Path:
    return beat.log_path.with_suffix(".var") / liveness.BEAT


def sends(beat: Proc) -> int:
    return beat.output().count(SENT)


@pytest.fixture
def beats(own_redis: OwnRedis, tmp_path: Path) -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for beat in started:
        beat.stop()


def test_a_second_beat_schedules_nothing_until_the_first_stops(
    own_redis: OwnRedis, beats: list[Proc], tmp_path: Path
) -> None:
    add_probe(own_redis.url)
    first = start_beat(own_redis.url, tmp_path / "first.log")
    beats.append(first)
    wait_for(lambda: sends(first) >= 2, 30, 0.2, what="the first beat to send the probe")
    second = start_beat(own_redis.url, tmp_path / "second.log")
    beats.append(second)
    wait_for(lambda: "beat: Starting" in second.output(), 30, 0.2, what="the second beat")
    mark = sends(first)
    wait_for(lambda: sends(first) >= mark + 6, 30, 0.2, what="six more sends by the first")
    assert sends(second) == 0
    assert second.popen.poll() is None  # waiting as a standby, not exited
    # ... and ticking, so its container's health check sees it alive.
    wait_for(alive_file(second).exists, 30, 0.2, what="the standby's liveness file")
    touched = alive_file(second).stat().st_mtime
    wait_for(lambda: alive_file(second).stat().st_mtime > touched, 30, 0.2,
             what="the standby to touch its liveness file again")
    # Every message in the probe's queue was sent by the first beat: nothing twice.
    assert own_redis.client().llen(PROBE) == sends(first)

    first.stop()  # a clean stop releases the lock: the standby takes over
    wait_for(lambda: sends(second) >= 2, 30, 0.2, what="the standby to take over")


def test_beat_rides_out_a_redis_outage_and_stays_the_only_one_scheduling(
    own_redis: OwnRedis, beats: list[Proc], tmp_path: Path
) -> None:
    add_probe(own_redis.url)
    first = start_beat(own_redis.url, tmp_path / "first.log")
    beats.append(first)
    wait_for(lambda: sends(first) >= 2, 30, 0.2, what="the first beat to send the probe")
    standby = start_beat(own_redis.url, tmp_path / "standby.log")
    beats.append(standby)
    wait_for(lambda: "beat: Starting" in standby.output(), 30, 0.2, what="the standby")

    own_redis.stop()
    down_at = time.monotonic()
    wait_for(lambda: "cannot reach Redis" in first.output(), 30, 0.2,
             what="the first beat to notice the outage")
    time.sleep(max(0.0, 5 - (time.monotonic() - down_at)))  # the outage itself: 5 s down
    assert first.popen.poll() is None and standby.popen.poll() is None
    own_redis.start()

    back = sends(first)
    wait_for(lambda: sends(first) >= back + 3, 30, 0.2, what="the first beat to send again")
    assert first.popen.poll() is None and standby.popen.poll() is None
    assert sends(standby) == 0


def test_after_redis_comes_back_empty_exactly_one_beat_takes_the_lock_and_schedules(
    own_redis: OwnRedis, beats: list[Proc], tmp_path: Path
) -> None:
    first = start_beat(own_redis.url, tmp_path / "first.log")
    second = start_beat(own_redis.url, tmp_path / "second.log")
    beats += [first, second]
    client = own_redis.client()
    wait_for(lambda: client.exists("reconcile:beat::lock"), 30, 0.2, what="a beat's lock")

    own_redis.wipe()  # the lock and the schedule are gone with the data
    own_redis.start()
    # The beat that held the lock notices and stands down; whichever takes the lock now
    # installs the schedule again.
    wait_for(lambda: client.exists("reconcile:beat::lock")
             and client.exists("reconcile:beat:sweep-overdue-reports"), 30, 0.2,
             what="the lock and the schedule to be back")
    add_probe(own_redis.url)
    marks = (sends(first), sends(second))
    wait_for(lambda: sends(first) + sends(second) >= sum(marks) + 6, 30, 0.2,
             what="six sends after the restart")
    fresh = (sends(first) - marks[0], sends(second) - marks[1])
    assert 0 in fresh, f"both beats scheduled after the restart: {fresh}"
    assert first.popen.poll() is None and second.popen.poll() is None

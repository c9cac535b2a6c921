"""A click answered 302 is never lost: a writer killed -9 mid-batch leaves its clicks
pending in the stream, and the next writer takes them over and writes them once."""

from __future__ import annotations

import contextlib
import os
import signal
from typing import Any

import sqlalchemy as sa

from reconcile.services.tracking.clicks import GROUP, STREAM
from tests.conftest import descendants, requires_postgres, wait_for
from tests.integration.conftest import start_worker
from tests.integration.pools import isolated, own_redis_client
from tests.integration.tracking_help import click, give_landing, make_link, written_clicks

CLICKS = 5


def _pending(pool: Any) -> int:
    return int(own_redis_client(pool).xpending(STREAM, GROUP)["pending"])


def _idle_ms(pool: Any) -> int:
    entries = own_redis_client(pool).xpending_range(STREAM, GROUP, "-", "+", CLICKS)
    return min(int(e["time_since_delivered"]) for e in entries)


def _kill_9(proc: Any) -> None:
    for pid in descendants(proc.popen.pid) | {proc.popen.pid}:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.popen.wait(10)


def test_clicks_of_a_writer_killed_mid_batch_are_written_by_the_next(client, world, stack,
                                                                      tmp_path):
    requires_postgres()
    with isolated(tmp_path, workers=1) as pool:
        give_landing(client, world)
        code = make_link(client, world)
        for i in range(CLICKS):
            assert click(client, code, ip=f"198.51.100.{i + 1}")
        # Hold the clicks table: the worker takes the batch from the stream, then waits on
        # its INSERT, and dies there.
        engine = sa.create_engine(stack["database_url"])
        blocker = engine.connect()
        tx = blocker.begin()
        blocker.exec_driver_sql("LOCK TABLE clicks IN EXCLUSIVE MODE")
        try:
            pool.app.send_task("reconcile.flush_clicks", queue="periodic")
            wait_for(lambda: _pending(pool) == CLICKS, 30, what="the writer took the batch")
            _kill_9(pool.workers[0])
        finally:
            tx.rollback()
            blocker.close()
            engine.dispose()
        assert written_clicks(code) == []
        assert _pending(pool) == CLICKS  # still there, owned by the dead writer

        # The next writer takes over clicks idle past tracking.claim_idle_seconds (1 s in
        # the tests' rules): wait until they are, then run one writer.
        wait_for(lambda: _idle_ms(pool) >= 1000, 15, what="the dead writer's clicks idle")
        pool.workers.append(start_worker(tmp_path, f"second-{os.getpid()}", concurrency=1))
        pool.app.send_task("reconcile.flush_clicks", queue="periodic")
        wait_for(lambda: sum(c.counted for c in written_clicks(code)) == CLICKS, 60,
                 what="the next writer wrote the clicks")
        wait_for(lambda: _pending(pool) == 0, 15, what="the clicks acknowledged")
        assert len(written_clicks(code)) == CLICKS

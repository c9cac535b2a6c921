"""Beat's scheduler: RedBeat (the schedule and its last runs live in Redis, so a restarted
beat neither repeats nor skips a run), held by one beat at a time through a Redis lock, and
riding out a Redis outage instead of exiting.

A second beat started against the same Redis waits for the lock and schedules nothing until
the first one stops (or its lock expires: `redbeat_lock_timeout` in celeryconfig).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from redbeat import RedBeatScheduler
from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, get_redis
from redis.exceptions import ConnectionError, LockError, TimeoutError

log = logging.getLogger("reconcile.beat")
# How soon to try again after Redis failed to answer a tick.
RETRY_SECONDS = 2.0


class Scheduler(RedBeatScheduler):
    """RedBeat that retries on a Redis outage and re-takes a lock Redis has lost."""

    lock: Any = None  # redbeat's own attribute: the held redis-py Lock, or None

    def setup_schedule(self) -> None:
        # Redis down at start-up: wait for it rather than exit.
        while True:
            try:
                super().setup_schedule()
                return
            except (ConnectionError, TimeoutError) as exc:
                log.warning("Beat cannot reach Redis to load the schedule; retrying",
                            extra={"error_code": type(exc).__name__,
                                   "backoff_seconds": RETRY_SECONDS})
                time.sleep(RETRY_SECONDS)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            if self.lock is None:
                self._take_lock()
                # Whatever Redis lost with the lock (a restart without its data), the static
                # entries come back; entries it kept keep their last run.
                self.setup_schedule()
            return float(super().tick(*args, **kwargs))
        except LockError:
            # The lock expired or vanished while Redis was away (a restart without it, or an
            # outage longer than the lock's timeout): schedule nothing until it is ours again,
            # since another beat may hold it by now.
            log.warning("Beat lost the schedule lock; waiting to take it again")
            self.lock = None
            return RETRY_SECONDS
        except (ConnectionError, TimeoutError) as exc:
            log.warning("Beat cannot reach Redis; retrying",
                        extra={"error_code": type(exc).__name__,
                               "backoff_seconds": RETRY_SECONDS})
            return RETRY_SECONDS

    def _take_lock(self) -> None:
        """Block until this beat holds the lock (redbeat takes it at start-up the same way;
        this covers a start-up while Redis was down, and a lock lost since)."""
        client = get_redis(self.app)
        lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
        lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)
        lock.acquire()
        log.info("Beat holds the schedule lock")
        self.lock = lock

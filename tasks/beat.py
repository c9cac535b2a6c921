"""Beat's scheduler: RedBeat (the schedule and its last runs live in Redis, so a restarted beat
neither repeats nor skips a run), held by one beat at a time through a Redis lock, and riding
out a Redis outage instead of exiting.

A second beat started against the same Redis is a standby: it schedules nothing, and takes
the lock when the first stops (or its lock expires: `redbeat_lock_timeout` in celeryconfig).
Every tick, active or standby, touches `var/beat.alive` for the container health check.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import beat_init
from redbeat import RedBeatScheduler
from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, acquire_distributed_beat_lock, get_redis
from redis.exceptions import ConnectionError, LockError, TimeoutError

from reconcile.liveness import BEAT, touch

log = logging.getLogger("reconcile.beat")
# How soon to try again after Redis failed to answer a tick.
RETRY_SECONDS = 2.0

# RedBeat takes the lock at start-up with a blocking wait, and loads the schedule before it
# has the lock. Here the lock is taken in tick() without blocking (so a standby keeps
# ticking, and a Redis outage at start-up is retried), and the schedule loaded only by the
# beat that holds it.
beat_init.disconnect(acquire_distributed_beat_lock)


class Scheduler(RedBeatScheduler):
    """RedBeat that retries on a Redis outage and re-takes a lock Redis has lost."""

    lock: Any = None  # redbeat's own attribute: the held redis-py Lock, or None
    loaded = False  # whether this beat, holding the lock, has (re)loaded the static schedule

    def setup_schedule(self) -> None:
        """Load nothing yet (called from __init__): tick() loads once it holds the lock."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        touch(BEAT)
        try:
            if self.lock is None and not self._take_lock():
                return float(self.max_interval)  # a standby: another beat holds the lock
            if not self.loaded:
                # Entries Redis kept keep their last run; ones it lost come back.
                super().setup_schedule()
                self.loaded = True
            return float(super().tick(*args, **kwargs))
        except LockError:
            # The lock expired or vanished while Redis was away (a restart without its data,
            # or an outage longer than the lock's timeout): schedule nothing until it is ours
            # again, since another beat may hold it by now.
            log.warning("Beat lost the schedule lock; waiting to take it again")
            self.lock, self.loaded = None, False
            return RETRY_SECONDS
        except (ConnectionError, TimeoutError) as exc:
            log.warning("Beat cannot reach Redis; retrying",
                        extra={"error_code": type(exc).__name__,
                               "backoff_seconds": RETRY_SECONDS})
            return RETRY_SECONDS

    def _take_lock(self) -> bool:
        """Take the lock if it is free; say whether this beat holds it now."""
        client = get_redis(self.app)
        lock = client.lock(self.lock_key, timeout=self.lock_timeout)
        lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)
        if not lock.acquire(blocking=False):
            return False
        self.lock, self.loaded = lock, False
        log.info("Beat holds the schedule lock")
        return True

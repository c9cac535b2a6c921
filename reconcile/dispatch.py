"""The one place jobs leave the core: tasks are sent by name, after the commit.

The core never imports `tasks/`; tests may swap the dispatcher with `set_dispatcher`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from redis.exceptions import RedisError

from reconcile import redis_clients
from reconcile.config import current_redis_url
from reconcile.observability import trace
from reconcile.task_messages import publish, task_message
from reconcile.vocabulary import QUEUES

log = logging.getLogger("reconcile.dispatch")

ATTEMPT_TASK = "reconcile.attempt"
ALERT_TASK = "reconcile.deliver_alert"
ALERTS_TASK = "reconcile.deliver_alerts"


class Dispatcher(Protocol):
    def reconcile(
        self,
        report_id: int,
        attempt_number: int,
        *,
        priority: str = "normal",
        countdown: float | None = None,
        trigger: str = "submission",
        request_id: str | None = None,
    ) -> bool: ...

    def deliver_alert(self, alert_id: int, *, countdown: float | None = None,
                      retries: int = 0) -> bool: ...

    def deliver_alerts(self, alert_ids: Sequence[int]) -> bool: ...


class CeleryDispatcher:
    """Send jobs as Celery messages pushed straight onto the broker's queues (one Redis
    call each: reconcile/task_messages.py). `app` is a Celery client configured like the
    workers, for remote control."""

    @property
    def app(self):
        return _celery_client()

    def reconcile(
        self,
        report_id: int,
        attempt_number: int,
        *,
        priority: str = "normal",
        countdown: float | None = None,
        trigger: str = "submission",
        request_id: str | None = None,
    ) -> bool:
        queue = priority if priority in QUEUES else "normal"
        if not redis_clients.available(current_redis_url()):  # it just failed: don't wait
            log.warning("Dispatch skipped, the broker is not answering; the sweep will "
                        "re-dispatch", extra={"report_id": report_id, "attempt": attempt_number})
            return False
        message = task_message(
            ATTEMPT_TASK, [report_id, attempt_number],
            {"trigger": trigger, "request_id": request_id}, queue,
            countdown=countdown if countdown and countdown > 0 else None,
            # Lets /ops/queues tell how long the oldest ready job has waited.
            headers={"sent_at": time.time(), "traceparent": trace.current()},
        )
        try:
            publish(broker_client(), queue, message)
        except (RedisError, OSError) as exc:  # the broker is down: the beat sweep re-dispatches
            log.warning(
                "Dispatch failed; the sweep will re-dispatch",
                extra={"report_id": report_id, "attempt": attempt_number, "error_code": str(exc)},
            )
            return False
        return True

    def deliver_alert(self, alert_id: int, *, countdown: float | None = None,
                      retries: int = 0) -> bool:
        """Send an alert's webhook delivery job (high queue: operators are waiting for it).
        `retries`: the tries it has had already (a batch's first one), so it still gets
        tasks.alerts.MAX_TRIES in all."""
        return self._alert_job(ALERT_TASK, alert_id, countdown=countdown, retries=retries)

    def deliver_alerts(self, alert_ids: Sequence[int]) -> bool:
        """Send one delivery job for several alerts (those one transaction raised)."""
        return self._alert_job(ALERTS_TASK, list(alert_ids))

    def _alert_job(self, task: str, arg: int | list[int], *, countdown: float | None = None,
                   retries: int = 0) -> bool:
        if not redis_clients.available(current_redis_url()):
            log.warning("Alert delivery dispatch skipped, the broker is not answering; the "
                        "alert sweep will resend")
            return False
        message = task_message(task, [arg], {}, "high",
                               countdown=countdown if countdown and countdown > 0 else None,
                               headers={"sent_at": time.time(), "retries": retries})
        try:
            publish(broker_client(), "high", message)
        except (RedisError, OSError) as exc:  # the alert sweep resends alerts with no delivery
            log.warning("Alert delivery dispatch failed; the alert sweep will resend",
                        extra={"error_code": type(exc).__name__})
            return False
        return True


def broker_client() -> redis_clients.FailFastRedis:
    """The broker's Redis (REDIS_URL, as celeryconfig's broker_url): timeouts and fail-fast
    like every other client; a broken pooled connection is retried once, as Celery's
    publish retry policy did (celeryconfig.task_publish_retry_policy)."""
    return redis_clients.connect(current_redis_url())


_client_lock = threading.Lock()


@lru_cache(maxsize=1)
def _celery_client():
    # An API process's threads dispatch at once: unguarded, the first ones race on celery's
    # lazy module import ("cannot import name 'Celery'") and their jobs wait for the sweep
    # (found by `reconcile bench`: one lost report per cold API process).
    with _client_lock:
        from celery import Celery

        app = Celery("reconcile")
        app.config_from_object("celeryconfig")
        # Publishing answers within a second or fails: a request must not wait on a hung
        # broker longer than on any other Redis client (redis_clients.TIMEOUT_SECONDS).
        timeout = redis_clients.TIMEOUT_SECONDS
        app.conf.broker_transport_options = {
            **app.conf.broker_transport_options,
            "socket_timeout": timeout, "socket_connect_timeout": timeout,
        }
        return app


_dispatcher: Dispatcher | None = None


def get_dispatcher() -> Dispatcher:
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = CeleryDispatcher()
    return _dispatcher


def set_dispatcher(dispatcher: Dispatcher | None) -> None:
    global _dispatcher
    _dispatcher = dispatcher


@dataclass(frozen=True)
class NextAttempt:
    """A report's next attempt as it is sent: which, to which queue, why, and when."""

    report_id: int
    number: int
    priority: str = "normal"
    trigger: str = "submission"
    countdown: float | None = None
    request_id: str | None = None


def send_attempts(jobs: Iterable[NextAttempt], dispatcher: Dispatcher | None = None) -> int:
    """Send each attempt job, after the commit that wrote it down; return how many the
    broker took (one it refused is sent again by the sweep)."""
    sender = dispatcher or get_dispatcher()
    return sum(bool(sender.reconcile(job.report_id, job.number, priority=job.priority,
                                     countdown=job.countdown, trigger=job.trigger,
                                     request_id=job.request_id))
               for job in jobs)

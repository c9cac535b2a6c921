"""Reconciliation tasks: an attempt job, run together with the ready jobs queued behind it.

The task that receives a job also takes up to BATCH_MAX - 1 more ready attempt jobs straight
from the broker (queues high, normal, low, in that order; a high job takes only other high
jobs) and runs them all through `run_attempts`, which asks each platform once per chunk of
its batch size, the platforms side by side. Every job still gets its own attempt row.

Why not celery-batches: it collects jobs in the worker's main process, so the prefetch must
be at least a batch. A worker would then hold ~50 reserved jobs ahead of any high-priority
job that arrives later, and one worker would grab a backlog while the others idle. It also
never acknowledges nor rejects a batch whose process died. Here the prefetch stays 1: a worker
takes what is ready when a process is free, in priority order, and nothing more.

Delivery: a drained message is acknowledged only after its attempt committed; when the batch
fails, it is put back at once. If the process is killed mid-batch, Celery requeues the job it
handed over (task_reject_on_worker_lost); the drained ones stay unacknowledged in the broker,
the sweep re-dispatches their reports within a minute, and any later redelivery is a no-op
(attempts are keyed by report and number).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from billiard.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import OperationalError

from reconcile.bootstrap import active_rules
from reconcile.broker import Drain, is_due
from reconcile.dispatch import ATTEMPT_TASK, broker_client
from reconcile.observability import trace, workers
from reconcile.services.reconciliation.attempts import Job, run_attempts
from reconcile.vocabulary import QUEUES
from tasks import app

# The largest chunk most platforms take in one call (youtube, instagram); a batch this size
# also finishes well inside the task's soft time limit.
BATCH_MAX = 50
# Stop draining after this many jobs that are not ready (countdowns, other tasks): they go
# back to the end of their queue, and a queue full of them must not be churned through.
MAX_PUT_BACK = 10

_DRAIN = Drain(broker_client, ATTEMPT_TASK, max_put_back=MAX_PUT_BACK)
workers.connect_signals()  # worker_idle_ratio: the pool's busy clock and heartbeats


@app.task(
    name=ATTEMPT_TASK,
    bind=True,
    acks_late=True,
    # A lost database connection is worth another try; the attempt is idempotent.
    autoretry_for=(OperationalError,),
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=8,
)
def reconcile_attempt(
    self, report_id: int, attempt_number: int, trigger: str = "submission",
    request_id: str | None = None,
) -> str | None:
    """Run one attempt for one report, and the ready attempts queued behind it."""
    job = Job(report_id=report_id, attempt_number=attempt_number, trigger=trigger,
              request_id=request_id, task_id=self.request.id,
              trace_id=trace.trace_id_of(trace.adopt(self.request.get("traceparent"))))
    # A high job takes only other high jobs along: a batch of normal ones would make it
    # wait for their fetches and writes, which is what its priority is meant to spare it.
    queue = (self.request.delivery_info or {}).get("routing_key")
    queues = QUEUES[:1] if queue == QUEUES[0] else QUEUES
    drained = [] if getattr(self.request, "is_eager", False) else drain(BATCH_MAX - 1, queues)
    try:
        results = run_attempts([job, *(j for j, _ in drained)],
                               passthrough=(SoftTimeLimitExceeded,))
    except BaseException:
        _DRAIN.put_back([message for _, message in drained])
        raise
    _DRAIN.ack([message for _, message in drained])
    return results[0]


def drain(limit: int, queues: Sequence[str] = QUEUES) -> list[tuple[Job, Any]]:
    """Take up to limit ready attempt jobs from the queues (in the order given), waiting
    briefly while they come."""
    taken = _DRAIN.take(limit, queues, _ready_job)
    wait = active_rules().fetch.batch_wait_seconds
    # Only a burst is worth waiting for: a lone job runs at once.
    if taken and len(taken) < limit and wait > 0:
        time.sleep(wait)
        taken += _DRAIN.take(limit - len(taken), queues, _ready_job)
    return taken


def _ready_job(message: Any) -> Job | None:
    """Return the message's job if it is an attempt due now, else None."""
    headers = message.headers or {}
    if headers.get("task") != ATTEMPT_TASK or not is_due(headers):
        return None
    try:
        args, kwargs, _ = message.decode()
        return Job(report_id=int(args[0]), attempt_number=int(args[1]),
                   trigger=kwargs.get("trigger") or "submission",
                   request_id=kwargs.get("request_id"), task_id=headers.get("id"),
                   trace_id=trace.trace_id_of(headers.get("traceparent")))
    except (TypeError, ValueError, IndexError, KeyError):
        return None  # not ours to judge: the worker runs it as usual and reports the error

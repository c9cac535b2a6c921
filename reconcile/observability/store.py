"""Counters and histograms kept in Redis hashes, so a scrape of any process sees the pool.

Each event is one pipelined round trip (HINCRBY / HINCRBYFLOAT). Recording never fails the
caller: when Redis does not answer, the event is dropped and counted in this process only.
"""

from __future__ import annotations

import atexit
import bisect
import logging
import os
import threading
import time
from collections.abc import Iterable

import redis

from reconcile.config import current_redis_url
from reconcile.redis_clients import connect

log = logging.getLogger("reconcile.metrics")

PREFIX = "reconcile:metrics:"
RECENT_SUBMISSIONS = PREFIX + "recent:submission_latency"
RECENT_KEEP = 2000
# Label names of each counter, in the order their values are stored in a hash field. The
# names are the spec's, save the breaker's transitions counter: spelt `breaker_state_total`
# it would share the family `breaker_state` with the gauge (docs/operations.md).
COUNTERS: dict[str, tuple[str, ...]] = {
    "reconciliation_status_total": ("status",),
    "alert_created_total": ("type", "severity"),
    "trust_score_bucket_total": ("bucket",),
    "breaker_transitions_total": ("platform", "state"),
    "missing_reason_total": ("reason",),
    "clicks_recorded_total": ("outcome",),
    "clicks_filtered_total": ("reason",),
    "clicks_lost_total": ("reason",),
    "postbacks_total": ("outcome",),
}
HISTOGRAMS: dict[str, tuple[float, ...]] = {
    "reconciliation_attempt_duration_seconds": (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    "submission_latency_seconds": (0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5),
}
SEP = "|"

Op = tuple[str, str, str, float]  # (command, key, field, amount)
dropped = 0  # events lost to an unreachable Redis, in this process


def client() -> redis.Redis:
    # The shared client: a hung Redis costs this process one timeout, then the events are
    # dropped at once until it answers again, so it never stalls a submission or attempt.
    return connect(current_redis_url())


def count(name: str, amount: int = 1, **labels: str) -> list[Op]:
    """Return the op that adds amount to the counter's labelled series."""
    field = SEP.join(str(labels[k]).replace(SEP, "_") for k in COUNTERS[name])
    return [("hincrby", PREFIX + name, field, amount)]


def observe(name: str, value: float) -> list[Op]:
    """Return the ops that put value into the histogram (its bucket, sum and count)."""
    bounds = HISTOGRAMS[name]
    i = bisect.bisect_left(bounds, value)
    le = repr(float(bounds[i])) if i < len(bounds) else "+Inf"
    key = PREFIX + name
    return [("hincrby", key, le, 1), ("hincrbyfloat", key, "sum", value),
            ("hincrby", key, "count", 1)]


def record(*groups: Iterable[Op], recent_submission: float | None = None) -> None:
    """Send every op in one round trip; never raise."""
    global dropped
    ops = [op for group in groups for op in group]
    try:
        pipe = client().pipeline(transaction=False)
        for command, key, field, amount in ops:
            getattr(pipe, command)(key, field, amount)
        if recent_submission is not None:
            pipe.lpush(RECENT_SUBMISSIONS, f"{time.time():.3f}:{recent_submission:.6f}")
            pipe.ltrim(RECENT_SUBMISSIONS, 0, RECENT_KEEP - 1)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - metrics must never fail the work they count
        dropped += len(ops)
        log.debug("Metrics not recorded", extra={"error_code": type(exc).__name__})


# The API's hot writes record an event on every request: a submission its latency, a
# postback its outcome. Those are buffered in the process and sent every FLUSH_SECONDS in
# one round trip (summed per field), instead of costing each request a round trip of its
# own. A process that dies loses at most that long of them; a scrape sees them up to
# FLUSH_SECONDS late. The workers' counts of outcomes and alerts are sent as they happen.
FLUSH_SECONDS = 0.5
_buffer_lock = threading.Lock()
_buffer: list[Op] = []
_buffer_recent: list[str] = []
_flusher_pid: int | None = None


def record_later(*groups: Iterable[Op], recent_submission: float | None = None) -> None:
    """Queue the ops for this process's next flush (at most FLUSH_SECONDS away)."""
    ops = [op for group in groups for op in group]
    with _buffer_lock:
        _buffer.extend(ops)
        if recent_submission is not None:
            _buffer_recent.append(f"{time.time():.3f}:{recent_submission:.6f}")
    if _flusher_pid != os.getpid():  # none yet, or the parent's before a fork
        _start_flusher()


def flush() -> None:
    """Send what record_later queued, in one round trip; never raise."""
    global dropped
    with _buffer_lock:
        ops, recent = _buffer[:], _buffer_recent[:]
        _buffer.clear()
        _buffer_recent.clear()
    if not ops and not recent:
        return
    totals: dict[tuple[str, str, str], float] = {}
    for command, key, field, amount in ops:
        totals[(command, key, field)] = totals.get((command, key, field), 0) + amount
    try:
        pipe = client().pipeline(transaction=False)
        for (command, key, field), amount in totals.items():
            getattr(pipe, command)(key, field, amount)
        if recent:
            pipe.lpush(RECENT_SUBMISSIONS, *recent)
            pipe.ltrim(RECENT_SUBMISSIONS, 0, RECENT_KEEP - 1)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - metrics must never fail the work they count
        dropped += len(ops)
        log.debug("Metrics not recorded", extra={"error_code": type(exc).__name__})


def _start_flusher() -> None:
    global _flusher_pid
    with _buffer_lock:
        if _flusher_pid == os.getpid():
            return
        _flusher_pid = os.getpid()

    def run() -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            flush()

    threading.Thread(target=run, name="metrics-flush", daemon=True).start()
    atexit.register(flush)


def read() -> dict[str, dict[str, float]]:
    """Return every stored counter and histogram hash, field -> value (this process's
    buffered events included)."""
    flush()
    names = [*COUNTERS, *HISTOGRAMS]
    pipe = client().pipeline(transaction=False)
    for name in names:
        pipe.hgetall(PREFIX + name)
    out = {}
    for name, raw in zip(names, pipe.execute(), strict=True):
        out[name] = {k.decode(): float(v) for k, v in raw.items()}
    return out

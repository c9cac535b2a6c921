"""The broker as kombu lays it out in Redis, and taking ready messages straight from it.

Everything that knows how Celery's messages sit in Redis lives here: a queue is a Redis list
named after it; kombu pushes on the left and pops on the right, so the oldest ready message
is at index -1; a message is JSON whose `headers` carry the task name, its `eta` (a delayed
job) and the `sent_at` stamp the dispatcher adds. Callers ask questions ("how deep is each
queue?", "when was the oldest waiting job sent?") and never touch the layout themselves.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from reconcile.locks import redis_client
from reconcile.vocabulary import QUEUES

log = logging.getLogger("reconcile.broker")
T = TypeVar("T")

UNKNOWN = object()  # a queue's oldest message could not be read: assume anything may wait
_SCAN = 10


def add_depths(pipe: Any, queues: Sequence[str] = QUEUES) -> None:
    """Queue the LLEN of each queue on a pipeline (one answer per queue, in order)."""
    for name in queues:
        pipe.llen(name)


def queue_depths() -> dict[str, int]:
    """Ready (not yet taken) jobs per queue, read from the broker."""
    pipe = redis_client().pipeline(transaction=False)
    add_depths(pipe)
    return dict(zip(QUEUES, (int(n) for n in pipe.execute()), strict=True))


def _sent_at(raw: bytes) -> float | None:
    try:
        return float(json.loads(raw)["headers"]["sent_at"])
    except (ValueError, KeyError, TypeError, RecursionError):
        return None


def oldest_ready_age_seconds() -> float | None:
    """Age of the oldest ready job, from the `sent_at` header the dispatcher stamps."""
    client, oldest = redis_client(), None
    for name in QUEUES:
        raw = cast(bytes | None, client.lindex(name, -1))
        sent = None if raw is None else _sent_at(raw)
        if sent is not None:
            oldest = sent if oldest is None else min(oldest, sent)
    return None if oldest is None else round(max(time.time() - oldest, 0.0), 3)


def oldest_ready_sent_at(queue: str) -> float | None | object:
    """When the oldest message still waiting in the queue was sent (unix seconds), None if
    no message waits there, UNKNOWN if the oldest ones carry no `sent_at` header."""
    pipe = redis_client().pipeline(transaction=False)
    pipe.llen(queue)
    pipe.lrange(queue, -_SCAN, -1)
    depth, oldest = pipe.execute()
    for raw in reversed(cast(list[bytes], oldest)):
        sent = _sent_at(raw)
        if sent is not None:
            return sent
    # Nothing with the header among what was read: no job of ours waits, unless more waits.
    return None if int(depth) <= _SCAN else UNKNOWN


def is_due(headers: dict[str, Any], now: datetime | None = None) -> bool:
    """Tell whether a message may run now (no `eta`, or an `eta` that has passed)."""
    if not headers.get("eta"):
        return True
    eta = datetime.fromisoformat(headers["eta"])
    return (eta if eta.tzinfo else eta.replace(tzinfo=UTC)) <= (now or datetime.now(UTC))


class Drain:
    """Take ready messages of one task straight from the broker, one connection per process.

    `connect` opens a broker connection (the Celery app's `connection_for_read`); `parse`
    turns a message into the caller's job, or None for one it does not want (another task,
    an `eta` in the future, a body it cannot read), which goes back to its queue.
    """

    def __init__(self, connect: Callable[[], Any], max_put_back: int = 10) -> None:
        self.connect, self.max_put_back = connect, max_put_back
        self._connections: dict[int, Any] = {}

    def take(self, limit: int, queues: Iterable[str],
             parse: Callable[[Any], T | None]) -> list[tuple[T, Any]]:
        """Take up to limit wanted messages from the queues, in the order given."""
        taken: list[tuple[T, Any]] = []
        put_back: list[Any] = []
        try:
            channel = self._channel()
            for queue in queues:
                while len(taken) < limit and len(put_back) < self.max_put_back:
                    message = channel.basic_get(queue)
                    if message is None:
                        break
                    job = parse(message)
                    if job is None:
                        put_back.append(message)
                    else:
                        taken.append((job, message))
        except Exception as exc:  # the broker hiccuped: run what we have, reconnect next time
            log.warning("Draining ready jobs failed", extra={"error_code": type(exc).__name__})
            self._forget()
        finally:
            self.put_back(put_back)
        return taken

    def ack(self, messages: list[Any]) -> None:
        for n, message in enumerate(messages):
            try:
                message.ack()
            except Exception as exc:  # the broker went away: the work is committed already
                # The rest stay unacknowledged in Redis (or went with it); a redelivery finds
                # its attempt done and does nothing. Reconnect for the next batch.
                log.warning("Acknowledging batched jobs failed; a redelivery will be a no-op",
                            extra={"error_code": type(exc).__name__,
                                   "outcome": f"{len(messages) - n}/{len(messages)}"})
                self._forget()
                return

    def put_back(self, messages: list[Any]) -> None:
        for message in messages:
            try:
                message.reject(requeue=True)
            except Exception as exc:  # left unacknowledged: the sweep re-dispatches its report
                log.warning("Putting a job back failed",
                            extra={"error_code": type(exc).__name__})

    def _channel(self) -> Any:
        # A forked child must not use its parent's connection.
        pid = os.getpid()
        if pid not in self._connections:
            self._connections[pid] = self.connect()
        return self._connections[pid].default_channel

    def _forget(self) -> None:
        self._connections.pop(os.getpid(), None)

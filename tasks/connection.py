"""The broker connection of the Celery app: kombu's, with the close-after-collect race closed.

Celery 5.7's worker, on losing the broker, first `collect()`s the connection and then
`close()`s it (the close is new in 5.7, part of the fixes for the reconnect hang
celery/celery#9705: pull requests #10242 and #10570; 5.6.3 only collected). `collect()`
detaches the transport (`transport.client = None`) but keeps the default channel when that
channel's close failed part-way: a BRPOP outstanding when Redis went away, or another
channel (the remote-control mailbox) refusing first. The `close()` that follows closes
that channel again; with unacknowledged messages (tasks running) it restores them through
the detached transport and kombu raises `AttributeError: 'NoneType' object has no
attribute 'hostname'` in `_connparams`, the failure of celery/kombu#582 reached by a new
path. Celery's `ignore_errors` passes only connection errors, so the worker stopped with
"Unrecoverable error" and status 1, in one Redis outage out of two or three under load.

Here `collect()` also forgets the default channel, so the `close()` after it has nothing
left to do. Its unacknowledged messages are not lost: Redis keeps them (redelivered after
the visibility timeout) or lost them in a restart, and the sweep dispatches every report
that has not run either way. tests/integration/test_broker_connection.py reproduces the
race step by step and fails if the workaround stops working or is no longer needed.
"""

from __future__ import annotations

from typing import Any

from celery.app.amqp import AMQP
from kombu import Connection


class BrokerConnection(Connection):
    def collect(self, socket_timeout: Any = None) -> None:
        super().collect(socket_timeout)
        self._default_channel = None


class BrokerAMQP(AMQP):
    """Celery's AMQP helper, making BrokerConnection for every broker connection."""

    Connection = BrokerConnection

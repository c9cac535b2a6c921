"""The Celery app (`celery -A tasks worker`): thin tasks that take ids and call services."""

from __future__ import annotations

from celery import Celery
from celery.signals import after_setup_logger, worker_process_init

# tasks/connection.py: kombu's connection with the worker's close-after-collect crash closed.
app = Celery("reconcile", amqp="tasks.connection:BrokerAMQP")
app.config_from_object("celeryconfig")


@worker_process_init.connect
def _after_fork(**_: object) -> None:
    # Connections must not be shared across a fork: each child opens its own.
    from reconcile.persistence.db import dispose_engines

    dispose_engines()


@after_setup_logger.connect
def _json_logs(**_: object) -> None:
    from reconcile.logs import configure_logging

    configure_logging(force=True)


# beat: imported with the app so its start-up signal is set before `celery beat` sends it.
# tasks.bench (the bench's no-op task) is not here: only the bench's workers import it
# (`--include`, reconcile.commands.BENCH_TASKS).
from tasks import (  # noqa: E402,F401  (registers the tasks)
    alerts,
    beat,
    earnings,
    housekeeping,
    liveness,
    platforms,
    reconciliation,
    reverify,
    sweeps,
    tallies,
    tracking,
)

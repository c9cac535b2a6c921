"""Periodic sweeps, scheduled here beside the task that runs them."""

from __future__ import annotations

from reconcile.locks import held
from reconcile.services.reconciliation.sweeps import sweep
from reconcile.vocabulary import PERIODIC_QUEUE
from tasks import app

SWEEP_SECONDS = 30.0

app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "sweep-overdue-reports": {
        "task": "reconcile.sweep",
        "schedule": SWEEP_SECONDS,
        "options": {"queue": PERIODIC_QUEUE, "expires": SWEEP_SECONDS},
    },
}


@app.task(name="reconcile.sweep", ignore_result=True)
def sweep_overdue() -> int:
    """Re-dispatch overdue reports; a Redis lock keeps two sweeps from overlapping."""
    with held("sweep", ttl_seconds=int(SWEEP_SECONDS)) as mine:
        return sweep() if mine else 0

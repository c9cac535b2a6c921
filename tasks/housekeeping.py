"""Housekeeping, scheduled here beside the task that runs it."""

from __future__ import annotations

from reconcile.locks import held
from reconcile.services.admin.housekeeping import housekeeping as run
from reconcile.vocabulary import PERIODIC_QUEUE
from tasks import app

HOUSEKEEPING_SECONDS = 300.0

app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "housekeeping": {
        "task": "reconcile.housekeeping",
        "schedule": HOUSEKEEPING_SECONDS,
        "options": {"queue": PERIODIC_QUEUE, "expires": HOUSEKEEPING_SECONDS},
    },
}


@app.task(name="reconcile.housekeeping", ignore_result=True)
def housekeeping() -> dict[str, int]:
    """Expire idempotency keys and note a change of rules, once pool-wide."""
    with held("housekeeping", ttl_seconds=int(HOUSEKEEPING_SECONDS)) as mine:
        return run() if mine else {}

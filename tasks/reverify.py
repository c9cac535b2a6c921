"""Periodic re-verification, scheduled here beside the task that runs it."""

from __future__ import annotations

from reconcile.bootstrap import active_rules
from reconcile.locks import held
from reconcile.services.reconciliation.reverify import reverify
from tasks import app

SWEEP_SECONDS = float(active_rules().reverify.sweep_interval_seconds)

app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "reverify-verified-reports": {
        "task": "reconcile.reverify",
        "schedule": SWEEP_SECONDS,
        # On the low queue behind the jobs it sends: while a backlog of low jobs waits, the
        # sweep waits too (and expires), so it never piles more work on top of a backlog.
        "options": {"queue": "low", "expires": SWEEP_SECONDS},
    },
}


@app.task(name="reconcile.reverify", ignore_result=True)
def reverify_due() -> int:
    """Re-verify reports past their interval; a Redis lock keeps two sweeps from overlapping."""
    with held("reverify", ttl_seconds=max(int(SWEEP_SECONDS), 1)) as mine:
        return reverify() if mine else 0

"""Earnings: approve pending entries whose validation window has passed, once pool-wide."""

from __future__ import annotations

from reconcile.locks import held
from reconcile.services.earnings.approval import approve_due
from reconcile.vocabulary import PERIODIC_QUEUE
from tasks import app

APPROVAL_SECONDS = 300.0

app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "approve-earnings": {
        "task": "reconcile.earnings.approve",
        "schedule": APPROVAL_SECONDS,
        "options": {"queue": PERIODIC_QUEUE, "expires": APPROVAL_SECONDS},
    },
}


@app.task(name="reconcile.earnings.approve", ignore_result=True)
def approve_earnings() -> int:
    """Move pending entries past their validation window to approved (idempotent)."""
    with held("earnings-approval", ttl_seconds=int(APPROVAL_SECONDS)) as mine:
        return approve_due() if mine else 0

"""Periodic platform checks, scheduled here beside the task that runs them."""

from __future__ import annotations

from reconcile.locks import held
from reconcile.services.admin.platform_ops import raise_outage_alerts
from reconcile.vocabulary import PERIODIC_QUEUE
from tasks import app

OUTAGE_CHECK_SECONDS = 60.0

app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "check-platform-outages": {
        "task": "reconcile.check_outages",
        "schedule": OUTAGE_CHECK_SECONDS,
        "options": {"queue": PERIODIC_QUEUE, "expires": OUTAGE_CHECK_SECONDS},
    },
}


@app.task(name="reconcile.check_outages", ignore_result=True)
def check_outages() -> list[str]:
    """Raise R5 for platforms down too long; a Redis lock keeps two checks from overlapping."""
    with held("platform-outages", ttl_seconds=int(OUTAGE_CHECK_SECONDS)) as mine:
        return raise_outage_alerts() if mine else []

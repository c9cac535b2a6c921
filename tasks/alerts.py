"""Alert delivery to the webhooks, the storm-cap digests and the daily risk summary."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from celery.schedules import crontab
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from reconcile.dispatch import get_dispatcher
from reconcile.locks import held
from reconcile.services.alerts.deliver import deliver
from reconcile.services.alerts.digest import flush_digests, resend_undelivered
from reconcile.services.alerts.risk_summary import send_risk_summary
from reconcile.vocabulary import PERIODIC_QUEUE
from tasks import app

MAX_TRIES = 5
BACKOFF_BASE_SECONDS = 2.0
HOUSEKEEPING_SECONDS = 60.0

app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "alert-digests-and-resends": {
        "task": "reconcile.alert_housekeeping",
        "schedule": HOUSEKEEPING_SECONDS,
        "options": {"queue": PERIODIC_QUEUE, "expires": HOUSEKEEPING_SECONDS},
    },
    "daily-risk-summary": {
        "task": "reconcile.risk_summary",
        "schedule": crontab(minute=0, hour=7),
        "options": {"queue": "normal"},
    },
}


def backoff(retries: int) -> float:
    """Seconds before try retries+2: 2, 4, 8, 16 (five tries over about half a minute)."""
    return BACKOFF_BASE_SECONDS * (2**retries)


# Both delivery jobs: losing the database or Redis for a moment is worth another try (and
# a webhook's 5xx, which the jobs retry themselves).
DELIVERY_JOB: dict[str, Any] = {
    "bind": True, "acks_late": True, "autoretry_for": (OperationalError, RedisError),
    "retry_backoff": BACKOFF_BASE_SECONDS, "max_retries": MAX_TRIES - 1,
}


@app.task(name="reconcile.deliver_alert", **DELIVERY_JOB)
def deliver_alert(self, alert_id: int) -> str:
    """Deliver one alert to every webhook; retry the webhooks that failed transiently."""
    result = deliver(alert_id, final=self.request.retries >= MAX_TRIES - 1)
    if result.retry:
        raise self.retry(countdown=backoff(self.request.retries))
    return result.outcome


# A batch delivers for at most this long, then hands the rest to a job of its own: slow
# webhooks (each POST may take TIMEOUT) must not run it into the task's soft time limit.
BATCH_SECONDS = 20.0


@app.task(name="reconcile.deliver_alerts", **DELIVERY_JOB)
def deliver_alerts(self, alert_ids: list[int]) -> dict[str, int]:
    """Deliver the alerts one transaction raised, in one job instead of a job each. This
    is each alert's first try; an alert that is worth another goes on in a deliver_alert
    job of its own, which counts this try among its MAX_TRIES. Running again (a retry of
    this job) sends nothing twice: each alert's records say which webhooks have it."""
    dispatcher = get_dispatcher()
    began = time.monotonic()
    outcomes: Counter[str] = Counter()
    unsent: list[int] = []
    for i, alert_id in enumerate(alert_ids):
        if i and time.monotonic() - began > BATCH_SECONDS:  # at least one per job
            if not dispatcher.deliver_alerts(alert_ids[i:]):
                unsent.extend(alert_ids[i:])
            outcomes["handed_on"] += len(alert_ids) - i
            break
        result = deliver(alert_id, final=False)
        outcomes[result.outcome] += 1
        if result.retry and not dispatcher.deliver_alert(alert_id, countdown=backoff(0),
                                                         retries=1):
            unsent.append(alert_id)
    if unsent:  # the broker refused the hand-over: this job tries again later, whole
        raise self.retry(countdown=backoff(self.request.retries))
    return dict(outcomes)


@app.task(name="reconcile.alert_housekeeping", ignore_result=True)
def alert_housekeeping() -> int:
    """Send the digests whose window ended and resend lost deliveries, once pool-wide."""
    with held("alert-housekeeping", ttl_seconds=int(HOUSEKEEPING_SECONDS)) as mine:
        return flush_digests() + resend_undelivered() if mine else 0


@app.task(name="reconcile.risk_summary", ignore_result=True)
def risk_summary() -> int:
    """Post the daily risk summary to the webhooks."""
    with held("risk-summary", ttl_seconds=600) as mine:
        return send_risk_summary() if mine else 0

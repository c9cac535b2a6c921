"""Alert delivery to the webhooks, the storm-cap digests and the daily risk summary."""

from __future__ import annotations

from celery.schedules import crontab
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

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


@app.task(
    name="reconcile.deliver_alert",
    bind=True,
    acks_late=True,
    # Losing the database or Redis for a moment is worth another try; so is a 5xx.
    autoretry_for=(OperationalError, RedisError),
    retry_backoff=BACKOFF_BASE_SECONDS,
    max_retries=MAX_TRIES - 1,
)
def deliver_alert(self, alert_id: int) -> str:
    """Deliver one alert to every webhook; retry the webhooks that failed transiently."""
    result = deliver(alert_id, final=self.request.retries >= MAX_TRIES - 1)
    if result.retry:
        raise self.retry(countdown=backoff(self.request.retries))
    return result.outcome


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

"""Write tracked clicks from Redis to the database, scheduled here beside the task."""

from __future__ import annotations

from reconcile.services.tracking.clicks import flush_clicks as flush
from reconcile.vocabulary import PERIODIC_QUEUE
from tasks import app

FLUSH_SECONDS = 2.0

app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "flush-clicks": {
        "task": "reconcile.flush_clicks",
        "schedule": FLUSH_SECONDS,
        "options": {"queue": PERIODIC_QUEUE, "expires": FLUSH_SECONDS * 5},
    },
}


# No lock: writers share the stream through a consumer group, so two at once split the
# clicks between them, and a click written twice counts once (idempotent on click_id).
@app.task(name="reconcile.flush_clicks", ignore_result=True)
def flush_clicks() -> int:
    """Write the clicks waiting in Redis, in batches; take over those a dead writer left."""
    return flush(max_seconds=FLUSH_SECONDS * 4)

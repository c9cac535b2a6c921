"""Fold the running counts' deltas (reconcile/persistence/tallies.py), scheduled here."""

from __future__ import annotations

from reconcile.locks import held
from reconcile.services.admin.tallies import compact_tallies
from reconcile.vocabulary import PERIODIC_QUEUE
from tasks import app

# A read adds what changed since the last fold (deltas, and the posts marked dirty, each
# recomputed): at 500 reconciliations a second, a few thousand rows every 5 s.
TALLY_SECONDS = 5.0

app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "compact-tallies": {
        "task": "reconcile.compact_tallies",
        "schedule": TALLY_SECONDS,
        "options": {"queue": PERIODIC_QUEUE, "expires": TALLY_SECONDS * 3},
    },
}


@app.task(name="reconcile.compact_tallies", ignore_result=True)
def compact() -> int:
    """Fold the deltas once pool-wide (two folds at once would only wait on each other)."""
    with held("compact-tallies", ttl_seconds=int(TALLY_SECONDS * 6)) as mine:
        return compact_tallies() if mine else 0

"""Reconciliation tasks."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from reconcile.services.attempts import Job, run_attempt
from tasks import app


@app.task(
    name="reconcile.attempt",
    bind=True,
    acks_late=True,
    # A lost database connection is worth another try; the attempt is idempotent.
    autoretry_for=(OperationalError,),
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=8,
)
def reconcile_attempt(
    self, report_id: int, attempt_number: int, trigger: str = "submission",
    request_id: str | None = None,
) -> str | None:
    """Run one attempt for one report."""
    job = Job(report_id=report_id, attempt_number=attempt_number, trigger=trigger,
              request_id=request_id, task_id=self.request.id)
    return run_attempt(job)

"""reconciliation_logs: the outstanding job (dispatched, taken, queue, trigger) and its failures

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:30:00

The sweep re-sends a job only when its message can really be lost, and re-runs are as
durable as submissions: both need to know, per report, when its job was handed to the
broker and whether a worker began it. A job that keeps failing for reasons of its own is
quarantined after `retry.failed.max_tries` runs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("reconciliation_logs") as batch:
        batch.add_column(sa.Column("dispatched_at", When, nullable=True))
        batch.add_column(sa.Column("taken_at", When, nullable=True))
        batch.add_column(sa.Column("job_priority", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("job_trigger", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("failures", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("last_failure", sa.String(length=500), nullable=True))
    with op.batch_alter_table("reconciliation_logs") as batch:
        # The server default only filled the existing rows; the model sets it from now on.
        batch.alter_column("failures", server_default=None)
        batch.create_index("ix_reconciliation_logs_job_trigger", ["job_trigger"])


def downgrade() -> None:
    with op.batch_alter_table("reconciliation_logs") as batch:
        batch.drop_index("ix_reconciliation_logs_job_trigger")
        for column in ("last_failure", "failures", "job_trigger", "job_priority", "taken_at",
                       "dispatched_at"):
            batch.drop_column(column)

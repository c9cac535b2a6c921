"""alerts.digest_due_at: the digest schedule of folded alerts lives in the database

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:40:00

Folded alerts used to wait for their digest in a Redis sorted set, written after the alert
was marked folded: a failed write or a Redis restart left them out of every digest. The
due time is now a column written with the folded mark, in one transaction.
"""

import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("digest_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_alerts_digest_due_at", ["digest_due_at"])
    # Alerts folded before the upgrade still wait for their digest: carry their due time over.
    alerts = sa.table("alerts", sa.column("id", sa.Integer), sa.column("deliveries", sa.JSON),
                      sa.column("digest_due_at", sa.DateTime(timezone=True)))
    conn = op.get_bind()
    folded = conn.execute(sa.select(alerts.c.id, alerts.c.deliveries).where(
        sa.cast(alerts.c.deliveries, sa.String).like('%"folded"%'))).all()
    for alert_id, deliveries in folded:
        entries = json.loads(deliveries) if isinstance(deliveries, str) else deliveries or []
        due = [e["digest_due_at"] for e in entries
               if e.get("status") == "folded" and e.get("digest_due_at")]
        if due:
            conn.execute(alerts.update().where(alerts.c.id == alert_id)
                         .values(digest_due_at=min(datetime.fromisoformat(d) for d in due)))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_digest_due_at")
        batch.drop_column("digest_due_at")

"""alerts: index for the repeat check (R2) and per-affiliate alert reads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 18:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_alerts_affiliate_platform_created"


def upgrade() -> None:
    # R2 asks, per batch: this affiliate's HIGH_DISCREPANCY alerts on this platform in the
    # last N hours. Without this index that is a scan of every alert in the window.
    op.create_index(INDEX, "alerts", ["affiliate_id", "platform", "created_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="alerts")

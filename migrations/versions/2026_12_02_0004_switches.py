"""switches: the intake pause lives in the database (Redis only caches it)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    switches = op.create_table(
        "switches",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("is_on", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    # The row always exists, so pausing is an UPDATE of a locked row, never a racing insert.
    # A pause the previous release kept in Redis is not carried over: an intake paused
    # during the upgrade must be paused again after it (docs/reliability.md, Upgrading).
    op.bulk_insert(switches, [{"name": "intake_paused", "is_on": False, "changed_at": None}])


def downgrade() -> None:
    op.drop_table("switches")

"""post checks: verified handles and the live period (truth.md, "The post itself")

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:30:00

- `affiliate_handles`: one handle per affiliate and platform, with the code the affiliate
  puts in its profile bio, whether the bio was seen carrying it, and the profile's display
  name read then (a YouTube video names its channel by that title). A handle is verified by
  one affiliate at most: a partial unique index on (platform, handle_key) where verified.
- `reconciliation_logs.verified_at`: when the report first reached an outcome that moves
  trust; the live period (takedown monitoring) counts from it. Reports verified before this
  migration take the time of their first such attempt.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels = None
depends_on = None

VERIFIED = ("MATCHED", "DISCREPANCY_LOW", "DISCREPANCY_MEDIUM", "DISCREPANCY_HIGH",
            "AFFILIATE_OVERCLAIMED")


def upgrade() -> None:
    op.create_table(
        "affiliate_handles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True),
        sa.Column("affiliate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("users.id"), nullable=False),
        sa.Column("platform", sa.String(32), sa.ForeignKey("platforms.name"), nullable=False),
        sa.Column("handle", sa.String(100), nullable=False),
        sa.Column("handle_key", sa.String(100), nullable=False),
        sa.Column("verification_code", sa.String(32), nullable=False),
        sa.Column("profile_name", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="unverified"),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("affiliate_id", "platform", name="uq_affiliate_handles_platform"),
    )
    op.create_index("ix_affiliate_handles_verified", "affiliate_handles",
                    ["platform", "handle_key"], unique=True,
                    postgresql_where=sa.text("status = 'verified'"),
                    sqlite_where=sa.text("status = 'verified'"))
    op.add_column("reconciliation_logs",
                  sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
    statuses = ", ".join(f"'{s}'" for s in VERIFIED)
    op.execute(
        "UPDATE reconciliation_logs SET verified_at = (SELECT min(a.finished_at) FROM attempts a"
        f" WHERE a.report_id = reconciliation_logs.report_id AND a.status IN ({statuses}))"
        f" WHERE status IN ({statuses})"
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), as in 0009.
    op.drop_column("reconciliation_logs", "verified_at")
    op.drop_index("ix_affiliate_handles_verified", table_name="affiliate_handles")
    op.drop_table("affiliate_handles")

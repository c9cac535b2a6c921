"""report tallies: running counts of reports, kept by triggers

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:00:00

The results' counts by status and the discrepancy histogram counted every report matching
the filters on every request: a million rows on a large history. Triggers on
reconciliation_logs now append a delta (+1 for a log's new key, -1 for its old one) to
`report_tally_deltas`; beat folds them into `report_tallies`; the reads sum both. The
backfill counts the existing logs. See reconcile/persistence/tallies.py and
docs/performance.md, "Running counts".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reconcile.persistence import tallies

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _key() -> list[sa.Column]:
    return [sa.Column("campaign_id", BIG, nullable=False),
            sa.Column("platform", sa.String(32), nullable=False),
            sa.Column("affiliate_id", BIG, nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("discrepancy_level", sa.String(16), nullable=False),
            sa.Column("bin", sa.Integer(), nullable=False),
            sa.Column("n", sa.BigInteger(), nullable=False)]


def upgrade() -> None:
    op.create_table("report_tallies", *_key(),
                    sa.PrimaryKeyConstraint(*tallies.KEY))
    op.create_table("report_tally_deltas", sa.Column("id", BIG, nullable=False),
                    *_key(), sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_report_tally_deltas_campaign_id", "report_tally_deltas",
                    ["campaign_id"])
    conn = op.get_bind()
    for statement in tallies.trigger_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)
    tallies.rebuild(conn)


def downgrade() -> None:
    conn = op.get_bind()
    for statement in tallies.drop_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)
    op.drop_index("ix_report_tally_deltas_campaign_id", table_name="report_tally_deltas")
    op.drop_table("report_tally_deltas")
    op.drop_table("report_tallies")

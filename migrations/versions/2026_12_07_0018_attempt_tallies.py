"""attempt tallies: attempts by hour and status, for the dashboard's timeline

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 21:30:00

The timeline counted the attempts of its window row by row: every attempt of the last 24
hours (about 15,000 in the scale bench) on every view. Triggers on attempts now append
deltas to attempt_tally_deltas, keyed by UTC hour and status at three levels (all, per
campaign, per affiliate); beat folds them into attempt_tallies with the other tallies; the
timeline reads a row per hour and status and counts only its first, partial hour from the
attempts. The backfill counts what is already there. See reconcile/persistence/tallies.py,
HOURS.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reconcile.persistence import tallies, tally_triggers

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _columns() -> list[sa.Column]:
    return [sa.Column("hour", sa.String(13), nullable=False),
            sa.Column("campaign_id", BIG, nullable=False),
            sa.Column("affiliate_id", BIG, nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("n", sa.BigInteger(), nullable=False)]


def upgrade() -> None:
    op.create_table("attempt_tallies", *_columns(),
                    sa.PrimaryKeyConstraint("hour", "campaign_id", "affiliate_id", "status"))
    op.create_table("attempt_tally_deltas", sa.Column("id", BIG, nullable=False),
                    *_columns(), sa.PrimaryKeyConstraint("id"))
    conn = op.get_bind()
    for statement in tally_triggers.create_hours(conn.dialect.name):
        conn.exec_driver_sql(statement)
    # The backfill: under SHARE locks on PostgreSQL, so no attempt lands uncounted between
    # the triggers' creation and the count.
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE attempts, reports, posts IN SHARE MODE")
    conn.exec_driver_sql("DELETE FROM attempt_tally_deltas")
    conn.exec_driver_sql(f"INSERT INTO attempt_tallies ({tallies.columns(tallies.HOURS)}) "
                         + tallies.hour_rows_sql(conn.dialect.name, "attempts a", 1))


def downgrade() -> None:
    conn = op.get_bind()
    for statement in tally_triggers.drop_hours(conn.dialect.name):
        conn.exec_driver_sql(statement)
    op.drop_table("attempt_tally_deltas")
    op.drop_table("attempt_tallies")

"""tallies: running counts of reports, posts' current states and alerts, kept by triggers

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:00:00

The results' counts by status, the discrepancy histogram, the campaign analytics and the
open-alert counts aggregated every matching row on every request: a million rows on a large
history. Triggers on reconciliation_logs, snapshots and alerts now append deltas to
`*_tally_deltas` (reports, alerts) or mark a post dirty (`post_tally_dirty`); beat folds
them into `*_tallies`; the reads add what is not folded yet. The backfill counts what is
already there. See reconcile/persistence/tallies.py and docs/performance.md,
"Running counts".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reconcile.persistence import tallies, tally_triggers

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TEXT = {"platform": 32, "status": 32, "discrepancy_level": 16, "severity": 16, "type": 32,
        "source_views": 32, "source_clicks": 32, "source_conversions": 32}


def _column(name: str, nullable: bool = False) -> sa.Column:
    if name in TEXT:
        kind: sa.types.TypeEngine = sa.String(TEXT[name])
    elif name.endswith("_id"):
        kind = BIG
    elif name == "bin" or name.startswith("unseen_"):
        kind = sa.Integer()
    else:
        kind = sa.BigInteger()
    return sa.Column(name, kind, nullable=nullable)


# The tallies this revision made (later ones add to tallies.ALL).
KEPT = (tallies.REPORTS, tallies.ALERTS)


def upgrade() -> None:
    for tally in KEPT:
        op.create_table(tally.table, *[_column(c) for c in tally.key + tally.sums],
                        sa.PrimaryKeyConstraint(*tally.key))
        op.create_table(tally.deltas, sa.Column("id", BIG, nullable=False),
                        *[_column(c) for c in tally.key + tally.sums],
                        sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_report_tally_deltas_campaign_id", "report_tally_deltas",
                    ["campaign_id"])
    posts = tallies.POSTS
    op.create_table(posts.table, *[_column(c) for c in posts.key + posts.sums],
                    sa.PrimaryKeyConstraint(*posts.key))
    op.create_table("post_tally_dirty", sa.Column("id", BIG, nullable=False),
                    sa.Column("post_id", BIG, nullable=True),
                    sa.Column("report_id", BIG, nullable=True), sa.PrimaryKeyConstraint("id"))
    # Column order matters: PostgreSQL's trigger reads a state row into a record of this
    # table's type in the order of tallies.STATE_COLUMNS.
    op.create_table("post_tally_states", sa.Column("post_id", BIG, nullable=False),
                    sa.Column("n", sa.Integer(), nullable=False),
                    *[sa.Column(c, sa.String(TEXT[c]) if c in TEXT else BIG, nullable=True)
                      for c in tallies.STATE_COLUMNS[2:]],
                    sa.PrimaryKeyConstraint("post_id"))
    conn = op.get_bind()
    for statement in tally_triggers.create(conn.dialect.name):
        conn.exec_driver_sql(statement)
    tallies.rebuild(conn, KEPT)


def downgrade() -> None:
    conn = op.get_bind()
    for statement in tally_triggers.drop(conn.dialect.name):
        conn.exec_driver_sql(statement)
    for table in ("post_tally_states", "post_tally_dirty", tallies.POSTS.table):
        op.drop_table(table)
    for tally in KEPT:
        op.drop_table(tally.deltas)
        op.drop_table(tally.table)

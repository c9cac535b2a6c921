"""trust_effects: one effect per post (its latest verified report's), not one per report

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:20:00

Every `PUT /submissions/{post_id}/metrics` makes a new report; with an effect per report,
ten identical updates moved trust ten times. Keyed by post, a newer report's outcome
replaces the older one's effect through the ledger (a reversal row, then the new effect).

Existing rows: each post keeps the effect of its newest report that has one. Effects of its
older reports stay in the affiliates' scores and ledgers as they were: the ledger is
append-only and history is not rewritten (docs/reliability.md, Trust per post).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Score = sa.Numeric(precision=6, scale=4, asdecimal=False)
COLUMNS = "affiliate_id, event, delta, updated_at"


def _table(name: str, key: str) -> None:
    other = "report_id" if key == "post_id" else "post_id"
    columns = [
        sa.Column(key, Id, nullable=False),
        sa.Column("affiliate_id", Id, nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("delta", Score, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["affiliate_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"]),
        sa.PrimaryKeyConstraint(key),
    ]
    if key == "post_id":
        columns += [sa.Column(other, Id, nullable=False),
                    sa.ForeignKeyConstraint(["post_id"], ["posts.id"]),
                    sa.UniqueConstraint("report_id")]
    op.create_table(name, *columns)


def _set_aside(name: str, indexes: Sequence[str]) -> None:
    """Rename the table; on PostgreSQL its constraint indexes too, which keep their names
    across a rename and would clash with the new table's."""
    op.drop_index("ix_trust_effects_affiliate_id", table_name="trust_effects")
    op.rename_table("trust_effects", name)
    if op.get_bind().dialect.name == "postgresql":
        for index in indexes:
            op.execute(f"ALTER INDEX trust_effects_{index} RENAME TO {name}_{index}")


def upgrade() -> None:
    _set_aside("trust_effects_per_report", ["pkey"])
    _table("trust_effects", "post_id")
    op.execute(f"""
        INSERT INTO trust_effects (post_id, report_id, {COLUMNS})
        SELECT r.post_id, e.report_id, {", ".join("e." + c.strip() for c in COLUMNS.split(","))}
        FROM trust_effects_per_report e JOIN reports r ON r.id = e.report_id
        WHERE e.report_id = (SELECT max(e2.report_id) FROM trust_effects_per_report e2
                             JOIN reports r2 ON r2.id = e2.report_id
                             WHERE r2.post_id = r.post_id)""")
    op.drop_table("trust_effects_per_report")
    op.create_index("ix_trust_effects_affiliate_id", "trust_effects", ["affiliate_id"])


def downgrade() -> None:
    _set_aside("trust_effects_per_post", ["pkey", "report_id_key"])
    _table("trust_effects", "report_id")
    op.execute(f"INSERT INTO trust_effects (report_id, {COLUMNS}) "
               f"SELECT report_id, {COLUMNS} FROM trust_effects_per_post")
    op.drop_table("trust_effects_per_post")
    op.create_index("ix_trust_effects_affiliate_id", "trust_effects", ["affiliate_id"])

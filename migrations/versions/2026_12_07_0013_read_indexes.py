"""read indexes: reads whose cost follows what they return, not the size of the history

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 11:00:00

- reports (post_id, id) and snapshots (post_id, id) replace the single-column indexes on
  post_id: "the newest report (snapshot) of a post" is then one backward probe, and the
  existing look-ups by post_id use the same index.
- posts (campaign_id, id) replaces the one on campaign_id: a campaign's posts newest first
  (the report list, analytics' newest posts) are read in order instead of sorted.
- attempts (finished_at): the dashboard's timeline reads the last hours of attempts only.

See docs/performance.md, "Flat cost as data grows".
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, new index, its columns, the index it replaces or None)
INDEXES = (
    ("reports", "ix_reports_post_id_id", ["post_id", "id"], "ix_reports_post_id"),
    ("snapshots", "ix_snapshots_post_id_id", ["post_id", "id"], "ix_snapshots_post_id"),
    ("posts", "ix_posts_campaign_id_id", ["campaign_id", "id"], "ix_posts_campaign_id"),
    ("attempts", "ix_attempts_finished_at", ["finished_at"], None),
)


def upgrade() -> None:
    for table, name, columns, replaced in INDEXES:
        op.create_index(name, table, columns)
        if replaced is not None:
            op.drop_index(replaced, table_name=table)


def downgrade() -> None:
    for table, name, columns, replaced in reversed(INDEXES):
        if replaced is not None:
            op.create_index(replaced, table, columns[:1])
        op.drop_index(name, table_name=table)

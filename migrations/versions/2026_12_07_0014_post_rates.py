"""post rates: each post's views per hour, kept, so anomaly baselines stop reading history

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:00:00

The velocity rule (docs/fraud.md, A1) compares a post's views per hour with the median of
the affiliate's earlier posts on the platform, each post's rate taken from publication to
its newest reading. That rate used to be worked out for every earlier post, on every
batch, from each post's newest snapshot: a read that grew with the affiliate's history.
Now `posts.views_per_hour` holds it, written with each new snapshot, and the affiliate's
posts on a platform are read in id order from (affiliate_id, platform, id).

The backfill computes each post's rate from its newest snapshot with the rule's own
function, a page of posts at a time.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from reconcile.rules.anomaly import post_rate

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
INDEX = "ix_posts_affiliate_id_platform_id"


def upgrade() -> None:
    op.add_column("posts", sa.Column("views_per_hour", sa.Float(), nullable=True))
    op.create_index(INDEX, "posts", ["affiliate_id", "platform", "id"])
    _backfill()


def downgrade() -> None:
    op.drop_index(INDEX, table_name="posts")
    # Both databases drop a plain column in place (a batch copy of posts would trip SQLite's
    # foreign keys from every table that references it).
    op.execute("ALTER TABLE posts DROP COLUMN views_per_hour")


def _when(value: Any) -> datetime | None:
    # SQLite hands back the stored text; PostgreSQL a datetime.
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _backfill() -> None:
    conn = op.get_bind()
    page = sa.text(
        "SELECT s.post_id, s.views, s.published_at, s.fetched_at FROM snapshots s "
        "WHERE s.id IN (SELECT max(id) FROM snapshots WHERE post_id > :after "
        f"GROUP BY post_id ORDER BY post_id LIMIT {BATCH}) ORDER BY s.post_id")
    update = sa.text("UPDATE posts SET views_per_hour = :rate WHERE id = :id")
    after = 0
    while rows := conn.execute(page, {"after": after}).all():
        rates = [{"id": post, "rate": post_rate(views, _when(published), _when(fetched))}
                 for post, views, published, fetched in rows]
        changed = [r for r in rates if r["rate"] is not None]
        if changed:
            conn.execute(update, changed)
        after = rows[-1][0]

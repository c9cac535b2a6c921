"""sources: each verified number from a source that measures it (truth.md, "Sources")

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:00:00

Campaigns gain `clicks_source` (tracked | platform | none), `conversions_source`
(postback | none), `required_tags` and `require_verified_handle`. Snapshots gain what the
platform reports under its own names (likes, comments, shares, link_clicks, author,
published_at, caption) and `sources`, the source of each compared metric.

Existing data, told truthfully (docs/sources.md, "Data from before sources"):

- Campaigns without a landing URL (0009) get clicks `none` and conversions `none`: no
  tracked link can lead anywhere for them, and what they verified as clicks and
  conversions was engagement. A campaign already given a landing URL keeps the defaults
  (clicks `tracked`, conversions `postback`): its links and postbacks are what it set up.
  An advertiser switches a campaign to tracked links or postbacks with
  `PATCH /campaigns/{id}`. All get `require_verified_handle` false (nobody had a handle to
  verify when they were made); new campaigns default to true.
- Snapshots keep their numbers. `sources` says what each really was: views `platform`;
  clicks `platform` on x (they were url_link_clicks) and `legacy_engagement` elsewhere
  (likes, upvotes, profile visits); conversions `legacy_engagement` everywhere (comments,
  shares, follows, profile clicks). Where the old mapping says which engagement a number
  was, it is also copied into that column (youtube likes/comments, tiktok likes/shares,
  reddit likes/comments, x link_clicks).
- The per-metric results on attempts and reconciliation logs gain `source` (as above)
  and `verifiable` true: those numbers did take part in the outcome recorded then. The
  next attempt of a report classifies it under its campaign's sources.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Metric = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# platform -> {old column: the engagement column it really held}
LEGACY_COLUMNS = {
    "youtube": {"clicks": "likes", "conversions": "comments"},
    "tiktok": {"clicks": "likes", "conversions": "shares"},
    "reddit": {"clicks": "likes", "conversions": "comments"},
    "x": {"clicks": "link_clicks"},
}
BATCH = 500


def _legacy_sources(platform: str) -> dict[str, str]:
    return {"views": "platform",
            "clicks": "platform" if platform == "x" else "legacy_engagement",
            "conversions": "legacy_engagement"}


def _campaigns() -> None:
    op.add_column("campaigns", sa.Column("clicks_source", sa.String(16), nullable=False,
                                         server_default="tracked"))
    op.add_column("campaigns", sa.Column("conversions_source", sa.String(16), nullable=False,
                                         server_default="postback"))
    op.add_column("campaigns", sa.Column("required_tags", sa.JSON(), nullable=False,
                                         server_default="[]"))
    op.add_column("campaigns", sa.Column("require_verified_handle", sa.Boolean(),
                                         nullable=False, server_default=sa.true()))
    op.execute("UPDATE campaigns SET require_verified_handle = false")
    op.execute("UPDATE campaigns SET clicks_source = 'none', conversions_source = 'none' "
               "WHERE landing_url IS NULL")


def _snapshots() -> None:
    for name in ("likes", "comments", "shares", "link_clicks"):
        op.add_column("snapshots", sa.Column(name, Metric, nullable=True))
    op.add_column("snapshots", sa.Column("author", sa.String(200), nullable=True))
    op.add_column("snapshots", sa.Column("published_at", sa.DateTime(timezone=True),
                                         nullable=True))
    op.add_column("snapshots", sa.Column("caption", sa.Text(), nullable=True))
    op.add_column("snapshots", sa.Column("sources", sa.JSON(), nullable=False,
                                         server_default="{}"))
    posts = "SELECT p.platform FROM posts p WHERE p.id = snapshots.post_id"
    for platform in ("youtube", "tiktok", "reddit", "x", "instagram"):
        copies = ", ".join(f"{new} = {old}"
                           for old, new in LEGACY_COLUMNS.get(platform, {}).items())
        sources = json.dumps(_legacy_sources(platform))
        op.execute(sa.text(f"UPDATE snapshots SET sources = :sources"
                           f"{', ' + copies if copies else ''} "
                           f"WHERE ({posts}) = :platform").bindparams(
            sources=sources, platform=platform))


def _rewrite(table: str, select: str, change: Callable[[dict[str, Any], str], None]) -> None:
    """Rewrite every row's metrics, a batch of rows at a time (keyset by id), so a large
    table is never held in memory at once."""
    conn = op.get_bind()
    page = sa.text(f"{select} WHERE t.id > :after ORDER BY t.id LIMIT {BATCH}")
    update = sa.text(f"UPDATE {table} SET metrics = :metrics WHERE id = :id")
    after = 0
    while rows := conn.execute(page, {"after": after}).all():
        changed = []
        for row_id, metrics, platform in rows:
            stored = json.loads(metrics) if isinstance(metrics, str) else metrics
            if stored:
                change(stored, platform)
                changed.append({"id": row_id, "metrics": json.dumps(stored)})
        if changed:
            conn.execute(update, changed)
        after = rows[-1][0]


def _label(stored: dict[str, Any], platform: str) -> None:
    """Add source and verifiable to each stored per-metric result."""
    sources = _legacy_sources(platform)
    for metric, entry in stored.items():
        if isinstance(entry, dict):
            entry.setdefault("source", sources.get(metric, "legacy_engagement"))
            entry.setdefault("verifiable", True)


def _unlabel(stored: dict[str, Any], platform: str) -> None:
    for entry in stored.values():
        if isinstance(entry, dict):
            entry.pop("source", None)
            entry.pop("verifiable", None)


def _results(table: str) -> str:
    return (f"SELECT t.id, t.metrics, p.platform FROM {table} t "
            f"JOIN reports r ON r.id = t.report_id JOIN posts p ON p.id = r.post_id")


def upgrade() -> None:
    _campaigns()
    _snapshots()
    for table in ("attempts", "reconciliation_logs"):
        _rewrite(table, _results(table), _label)


def downgrade() -> None:
    for table in ("attempts", "reconciliation_logs"):
        _rewrite(table, _results(table), _unlabel)
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of campaigns would trip the
    # foreign keys that point at it.
    for name in ("sources", "caption", "published_at", "author", "link_clicks", "shares",
                 "comments", "likes"):
        op.execute(f"ALTER TABLE snapshots DROP COLUMN {name}")
    for name in ("require_verified_handle", "required_tags", "conversions_source",
                 "clicks_source"):
        op.execute(f"ALTER TABLE campaigns DROP COLUMN {name}")

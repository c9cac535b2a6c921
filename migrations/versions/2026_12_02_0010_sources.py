"""sources: each verified number from a source that measures it (truth.md, "Sources")

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02 18:00:00

Campaigns gain `clicks_source` (tracked | platform | none), `conversions_source`
(postback | none), `required_tags` and `require_verified_handle`. Snapshots gain what the
platform reports under its own names (likes, comments, shares, link_clicks, author,
published_at, caption) and `sources`, the source of each compared metric.

Existing data, told truthfully (docs/sources.md, "Data from before sources"):

- Campaigns get clicks `none` and conversions `none`: they have no landing page, so no
  tracked link can exist for them, and what they verified as clicks and conversions was
  engagement. An advertiser switches a campaign to tracked links or postbacks with
  `PATCH /campaigns/{id}`. They get `require_verified_handle` false (nobody had a handle
  to verify when they were made); new campaigns default to true.
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
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
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
    op.execute("UPDATE campaigns SET clicks_source = 'none', conversions_source = 'none', "
               "require_verified_handle = false")


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


def _label_results(table: str, key: str, join: str) -> None:
    """Add source and verifiable to every stored per-metric result, in batches."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        f"SELECT t.{key}, t.metrics, p.platform FROM {table} t {join}")).all()
    update = sa.text(f"UPDATE {table} SET metrics = :metrics WHERE {key} = :id")
    changed = []
    for row_id, metrics, platform in rows:
        stored = json.loads(metrics) if isinstance(metrics, str) else metrics
        if not stored:
            continue
        sources = _legacy_sources(platform)
        for metric, entry in stored.items():
            if isinstance(entry, dict):
                entry.setdefault("source", sources.get(metric, "legacy_engagement"))
                entry.setdefault("verifiable", True)
        changed.append({"id": row_id, "metrics": json.dumps(stored)})
    for start in range(0, len(changed), BATCH):
        conn.execute(update, changed[start:start + BATCH])


def upgrade() -> None:
    _campaigns()
    _snapshots()
    via_report = ("JOIN reports r ON r.id = t.report_id JOIN posts p ON p.id = r.post_id")
    _label_results("attempts", "id", via_report)
    _label_results("reconciliation_logs", "id", via_report)


def _unlabel(table: str) -> None:
    conn = op.get_bind()
    update = sa.text(f"UPDATE {table} SET metrics = :metrics WHERE id = :id")
    changed = []
    for row_id, metrics in conn.execute(sa.text(f"SELECT id, metrics FROM {table}")).all():
        stored = json.loads(metrics) if isinstance(metrics, str) else metrics
        for entry in (stored or {}).values():
            if isinstance(entry, dict):
                entry.pop("source", None)
                entry.pop("verifiable", None)
        changed.append({"id": row_id, "metrics": json.dumps(stored)})
    for start in range(0, len(changed), BATCH):
        conn.execute(update, changed[start:start + BATCH])


def downgrade() -> None:
    _unlabel("attempts")
    _unlabel("reconciliation_logs")
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of campaigns would trip the
    # foreign keys that point at it.
    for name in ("sources", "caption", "published_at", "author", "link_clicks", "shares",
                 "comments", "likes"):
        op.execute(f"ALTER TABLE snapshots DROP COLUMN {name}")
    for name in ("require_verified_handle", "required_tags", "conversions_source",
                 "clicks_source"):
        op.execute(f"ALTER TABLE campaigns DROP COLUMN {name}")

"""post tallies by cut: each post counted under its platform and under its affiliate

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 21:00:00

0016 kept one post_tallies row per (campaign, platform, affiliate, status, sources, seen):
the campaign analytics then read and grouped every combination of platform and affiliate
(5,109 rows for one campaign of the scale bench) to show each platform's and each
affiliate's share. Each post now counts once under its platform (affiliate_id 0) and once
under its affiliate (platform ''): the rows follow platforms plus affiliates (1,383 there).
The table keeps its columns; its rows are recounted from post_tally_states, which hold each
counted post's state either way. See reconcile/persistence/tallies.py, "CUTS".
"""

from collections.abc import Sequence

from alembic import op

from reconcile.persistence import tallies

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0016's rows, one per post and key, for the downgrade (frozen here: the code moved on).
_KEY = ("campaign_id, platform, affiliate_id, status, source_views, source_clicks, "
        "source_conversions, unseen_views, unseen_clicks, unseen_conversions")
_SUMS = "n, claimed_views, claimed_clicks, claimed_conversions, seen_views, seen_clicks, " \
        "seen_conversions"
_BY_POST = (
    f"INSERT INTO post_tallies ({_KEY}, {_SUMS}) SELECT {_KEY}, "
    + ", ".join(f"sum({c.strip()})" for c in _SUMS.split(","))
    + " FROM (SELECT campaign_id, platform, affiliate_id, status, "
    "COALESCE(source_views, '') AS source_views, COALESCE(source_clicks, '') AS source_clicks, "
    "COALESCE(source_conversions, '') AS source_conversions, "
    + ", ".join(f"CASE WHEN seen_{m} IS NULL THEN 1 ELSE 0 END AS unseen_{m}"
                for m in ("views", "clicks", "conversions"))
    + ", n, claimed_views, claimed_clicks, claimed_conversions, "
    + ", ".join(f"COALESCE(seen_{m}, 0) AS seen_{m}" for m in ("views", "clicks", "conversions"))
    + f" FROM post_tally_states WHERE n = 1) AS d GROUP BY {_KEY}")


def _recount(insert: str) -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # The fold adds to post_tallies from post_tally_states under this lock: hold it, so
        # no fold lands between the recount and the commit.
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({tallies.FOLD_LOCK})")
    conn.exec_driver_sql("DELETE FROM post_tallies")
    conn.exec_driver_sql(insert)


def upgrade() -> None:
    _recount(tallies.posts_from_states_sql())


def downgrade() -> None:
    _recount(_BY_POST)

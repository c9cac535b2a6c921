"""Tracked links, clicks, conversion postbacks and postback secrets; campaign landing URL

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:30:00

Clicks are written by a worker from a Redis stream (the redirect never waits on the
database), idempotent on click_id. Conversions are unique per (client, event_id). The
postback secret is stored as given, not hashed: verifying an HMAC needs the key itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN (both databases have it): a batch copy of campaigns on SQLite would
    # drop a table that existing posts and links point to.
    op.add_column("campaigns", sa.Column("landing_url", sa.Text(), nullable=True))
    op.add_column("campaigns", sa.Column("attribution_window_days", sa.Integer(),
                                         nullable=False, server_default="30"))
    op.create_table(
        "tracked_links",
        sa.Column("id", Id, primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("campaign_id", Id, sa.ForeignKey("campaigns.id"), nullable=False, index=True),
        sa.Column("affiliate_id", Id, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("post_id", Id, sa.ForeignKey("posts.id"), nullable=True, unique=True),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_table(
        "clicks",
        sa.Column("id", Id, primary_key=True),
        sa.Column("click_id", sa.String(32), nullable=False, unique=True),
        sa.Column("link_id", Id, sa.ForeignKey("tracked_links.id"), nullable=False),
        sa.Column("visitor_hash", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(256), nullable=True),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("filter_reason", sa.String(32), nullable=True),
        sa.Column("clicked_at", When, nullable=False),
        sa.Column("recorded_at", When, nullable=False),
    )
    # Counting a post's clicks as of a time reads (link, counted, clicked_at).
    op.create_index("ix_clicks_link_counted_at", "clicks", ["link_id", "counted", "clicked_at"])
    op.create_table(
        "conversions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("client_id", Id, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("click_id", sa.String(32), sa.ForeignKey("clicks.click_id"), nullable=False,
                  index=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("occurred_at", When, nullable=False),
        sa.Column("received_at", When, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reversed_at", When, nullable=True),
        sa.Column("reverse_reason", sa.String(500), nullable=True),
        sa.UniqueConstraint("client_id", "event_id", name="uq_conversions_client_event"),
    )
    op.create_table(
        "postback_secrets",
        sa.Column("client_id", Id, sa.ForeignKey("clients.id"), primary_key=True),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("created_at", When, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("postback_secrets")
    op.drop_table("conversions")
    op.drop_index("ix_clicks_link_counted_at", table_name="clicks")
    op.drop_table("clicks")
    op.drop_table("tracked_links")
    # Plain DROP COLUMN (SQLite 3.35+), for the reason given in upgrade().
    op.drop_column("campaigns", "attribution_window_days")
    op.drop_column("campaigns", "landing_url")

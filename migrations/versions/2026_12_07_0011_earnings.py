"""earnings: rate cards, the append-only earnings ledger, payouts (earnings.md)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00

`earnings` is append-only: the database refuses a DELETE, an UPDATE of any column but
`status`, `payout_id`, `operator_release` and `status_changed_at`, and any change to an
entry once it is `paid` (so no entry is ever paid twice).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)
REFUSAL = "earnings is append-only"
FIXED = ("affiliate_id", "campaign_id", "post_id", "report_id", "kind", "amount_minor",
         "currency", "reason", "rate_card_version", "created_at", "approve_after")


def upgrade() -> None:
    op.create_table(
        "rate_cards",
        sa.Column("id", Id, primary_key=True),
        sa.Column("campaign_id", Id, sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cpm_minor", sa.BigInteger(), nullable=True),
        sa.Column("cpc_minor", sa.BigInteger(), nullable=True),
        sa.Column("cpa_minor", sa.BigInteger(), nullable=True),
        sa.Column("cpa_percent", sa.Numeric(9, 4), nullable=True),
        sa.Column("flat_minor", sa.BigInteger(), nullable=True),
        sa.Column("milestones", sa.JSON(), nullable=False),
        sa.Column("cap_per_post_minor", sa.BigInteger(), nullable=True),
        sa.Column("budget_minor", sa.BigInteger(), nullable=True),
        sa.Column("validation_days", sa.Integer(), nullable=False),
        sa.Column("live_days", sa.Integer(), nullable=False),
        sa.Column("created_by", Id, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.UniqueConstraint("campaign_id", "version"),
    )
    op.create_index("ix_rate_cards_campaign_id", "rate_cards", ["campaign_id"])
    op.create_table(
        "payouts",
        sa.Column("id", Id, primary_key=True),
        sa.Column("period_end", sa.Date(), nullable=False, unique=True),
        sa.Column("min_payout_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_table(
        "payout_statements",
        sa.Column("id", Id, primary_key=True),
        sa.Column("payout_id", Id, sa.ForeignKey("payouts.id"), nullable=False),
        sa.Column("affiliate_id", Id, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("entry_ids", sa.JSON(), nullable=False),
        sa.UniqueConstraint("payout_id", "affiliate_id", "currency"),
    )
    op.create_index("ix_payout_statements_payout_id", "payout_statements", ["payout_id"])
    op.create_table(
        "earnings",
        sa.Column("id", Id, primary_key=True),
        sa.Column("affiliate_id", Id, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("campaign_id", Id, sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("post_id", Id, sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("report_id", Id, sa.ForeignKey("reports.id"), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rate_card_version", sa.Integer(), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("approve_after", When, nullable=False),
        sa.Column("payout_id", Id, sa.ForeignKey("payouts.id"), nullable=True),
        sa.Column("operator_release", sa.Boolean(), nullable=False,
                  server_default=sa.false()),
        sa.Column("status_changed_at", When, nullable=True),
    )
    for column in ("affiliate_id", "campaign_id", "post_id", "status", "created_at",
                   "payout_id"):
        op.create_index(f"ix_earnings_{column}", "earnings", [column])
    op.create_table(
        "post_earnings",
        sa.Column("post_id", Id, sa.ForeignKey("posts.id"), primary_key=True),
        sa.Column("affiliate_id", Id, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("campaign_id", Id, sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("report_id", Id, sa.ForeignKey("reports.id"), nullable=True),
        sa.Column("removed_at", When, nullable=True),
        sa.Column("rejected_minor", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("hold_reasons", sa.JSON(), nullable=False),
        sa.Column("updated_at", When, nullable=False),
    )
    op.create_index("ix_post_earnings_affiliate_id", "post_earnings", ["affiliate_id"])
    op.create_index("ix_post_earnings_campaign_id", "post_earnings", ["campaign_id"])
    _append_only()


def _append_only() -> None:
    """Refuse deletes, changes to what an entry says, and any change to a paid entry."""
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in FIXED)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION earnings_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'UPDATE' THEN
                    RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF {changed} OR OLD.status = 'paid' THEN
                    RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$""")
        op.execute("""
            CREATE TRIGGER earnings_append_only
            BEFORE UPDATE OR DELETE ON earnings
            FOR EACH ROW EXECUTE FUNCTION earnings_refuse_change()""")
        op.execute("""
            CREATE TRIGGER earnings_no_truncate
            BEFORE TRUNCATE ON earnings
            FOR EACH STATEMENT EXECUTE FUNCTION earnings_refuse_change()""")
        return
    sqlite_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in FIXED)
    op.execute(f"""
        CREATE TRIGGER earnings_no_update
        BEFORE UPDATE ON earnings
        WHEN {sqlite_changed} OR OLD.status = 'paid'
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""")
    op.execute(f"""
        CREATE TRIGGER earnings_no_delete
        BEFORE DELETE ON earnings
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS earnings_no_truncate ON earnings")
        op.execute("DROP TRIGGER IF EXISTS earnings_append_only ON earnings")
        op.execute("DROP FUNCTION IF EXISTS earnings_refuse_change()")
    op.drop_table("post_earnings")
    op.drop_table("earnings")
    op.drop_table("payout_statements")
    op.drop_table("payouts")
    op.drop_table("rate_cards")

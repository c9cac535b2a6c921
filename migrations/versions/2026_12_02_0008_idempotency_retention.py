"""idempotency_keys.created_at index: keys are deleted after their retention

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_idempotency_keys_created_at"


def upgrade() -> None:
    op.create_index(INDEX, "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="idempotency_keys")

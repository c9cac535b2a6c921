"""open alert counts: a partial index of open alerts by severity and type

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:00:00

The dashboard's open-alert counts group the open alerts by severity and type. With only
the single-column indexes, PostgreSQL found the open ones by `status` and then read each
row for its severity and type; this index holds both for the open alerts alone, so the
counts are an index-only scan that grows with the open backlog, not with every alert ever
raised. See docs/performance.md, "Flat cost as data grows".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_alerts_open_severity_type"


def upgrade() -> None:
    op.create_index(INDEX, "alerts", ["severity", "type"],
                    postgresql_where=sa.text("status = 'OPEN'"),
                    sqlite_where=sa.text("status = 'OPEN'"))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="alerts")

"""Multi-row writes: one INSERT for many rows, one UPDATE per shape of changed columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, update

from reconcile.persistence.models import Base, table_of


def insert_rows(conn: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert rows in one statement (SQLAlchemy sends them as one multi-row INSERT)."""
    if rows:
        conn.execute(insert(table_of(model)), rows)


class TableWrites:
    """Column values to set on rows picked by one key, merged per row, written per shape."""

    def __init__(self, model: type[Base], key: str) -> None:
        self.table, self.key = table_of(model), key
        self.rows: dict[Any, dict[str, Any]] = {}

    def set(self, key: Any, **values: Any) -> None:
        self.rows.setdefault(key, {}).update(values)

    def update(self, conn: Connection) -> None:
        """Send one UPDATE per set of columns (executemany), in key order."""
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for key in sorted(self.rows):
            values = self.rows[key]
            shapes.setdefault(tuple(sorted(values)), []).append({"b_key": key, **values})
        for rows in shapes.values():
            conn.execute(update(self.table).where(self.table.c[self.key] == bindparam("b_key")),
                         rows)

    def delete(self, conn: Connection, keys: Sequence[Any]) -> None:
        if keys:
            conn.execute(delete(self.table).where(self.table.c[self.key].in_(keys)))

"""Multi-row writes: one INSERT for many rows, one UPDATE per shape of changed columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, cast, column, delete, insert, update, values

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
        """Send one UPDATE per set of columns, in key order. On PostgreSQL it is one
        statement joining a VALUES list: planned and run once, where an UPDATE per row (even
        sent in one round trip) is planned and run per row, inside the attempt batch's
        locks (docs/performance.md)."""
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for key in sorted(self.rows):
            changed = self.rows[key]
            shapes.setdefault(tuple(sorted(changed)), []).append({"b_key": key, **changed})
        for names, rows in shapes.items():
            if conn.dialect.name == "postgresql" and len(rows) > 1:
                conn.execute(self._from_values(names, rows))
            else:
                conn.execute(update(self.table)
                             .where(self.table.c[self.key] == bindparam("b_key")), rows)

    def _from_values(self, names: tuple[str, ...], rows: list[dict[str, Any]]) -> Any:
        """UPDATE t SET c = CAST(v.c AS type) … FROM (VALUES …) AS v WHERE t.key = v.key.
        Each value is bound with its column's type (JSON serialised as the ORM does) and
        cast back to it, so a column whose rows are all NULL is typed too."""
        c = self.table.c
        given = values(column("b_key", c[self.key].type),
                       *[column(n, c[n].type) for n in names], name="v").data(
            [(row["b_key"], *[row[n] for n in names]) for row in rows])
        return (update(self.table).where(c[self.key] == given.c.b_key)
                .values({n: cast(given.c[n], c[n].type) for n in names}))

    def delete(self, conn: Connection, keys: Sequence[Any]) -> None:
        if keys:
            conn.execute(delete(self.table).where(self.table.c[self.key].in_(keys)))

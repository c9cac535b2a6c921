"""Multi-row writes: one INSERT for many rows, one UPDATE per shape of changed columns."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, update
from sqlalchemy.dialects.postgresql import ARRAY

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
        """Send one UPDATE per set of columns, in key order. On PostgreSQL each is one
        statement over arrays of the rows' values (`_from_arrays`): planned and run once,
        where an UPDATE per row, even sent in one round trip, is planned and run per row,
        inside the attempt batch's locks (docs/performance.md)."""
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for key in sorted(self.rows):
            changed = self.rows[key]
            shapes.setdefault(tuple(sorted(changed)), []).append({"b_key": key, **changed})
        for names, rows in shapes.items():
            if conn.dialect.name == "postgresql" and len(rows) > 1:
                conn.execute(_from_arrays(self.table, self.key, names),
                             {f"v_{n}": [row[n] for row in rows] for n in ("b_key", *names)})
            else:
                conn.execute(update(self.table)
                             .where(self.table.c[self.key] == bindparam("b_key")), rows)

    def delete(self, conn: Connection, keys: Sequence[Any]) -> None:
        if keys:
            conn.execute(delete(self.table).where(self.table.c[self.key].in_(keys)))


@lru_cache(maxsize=128)
def _from_arrays(table: Table, key: str, names: tuple[str, ...]) -> Any:
    """UPDATE t SET c = v.c … FROM unnest(keys, cs, …) AS v(b_key, c, …) WHERE t.key =
    v.b_key: one array parameter per column, bound and cast as an array of the column's
    own type (JSON serialised as the ORM does), so the statement's text is the same for
    any number of rows and is compiled once per shape."""
    columns = {"b_key": table.c[key], **{n: table.c[n] for n in names}}
    arrays = func.unnest(*[bindparam(f"v_{n}", type_=ARRAY(c.type, dimensions=1))
                           for n, c in columns.items()])
    given = arrays.table_valued(*columns).render_derived(name="v")
    return (update(table).where(table.c[key] == given.c.b_key)
            .values({n: given.c[n] for n in names}))

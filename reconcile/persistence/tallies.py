"""Running counts of reports, kept by the database as the reports change (migration 0016).

The results' counts by status and the discrepancy histogram count every report that
matches: a million rows on a large history, on every page view. Instead, triggers on
`reconciliation_logs` append one row to `report_tally_deltas` per change: +1 under the
log's new key (campaign, platform, affiliate, status, discrepancy level, histogram bin) and
-1 under its old one. Appending touches no shared row, so submissions and attempt batches
never wait on a counter, and every write path (intake, attempts, re-runs, quarantine,
restores) is counted because the database, not the code, does it. `compact` (run by beat,
see tasks/tallies.py) folds the deltas into `report_tallies`, one row per key; a read sums
both tables, so it is exact between compactions and its cost follows the number of keys
and of deltas since the last compaction, not the history.

`rebuild` recounts everything from the logs: the migration's backfill, the scale bench's
seed (which loads with the triggers off), and an operator's repair.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, literal, select, text, union_all
from sqlalchemy.engine import Connection

from reconcile.persistence.models import ReportTally, ReportTallyDelta, table_of

# Upper edges (inclusive) of the discrepancy histogram's bins, as fractions; the first edge
# is the default tolerance under which a claim counts as MATCHED. A log's bin is the index
# of the first edge its max_discrepancy_pct does not exceed, len(EDGES) above the last, and
# -1 where it has none. The triggers hold the same edges (migration 0016): change both.
EDGES = (0.05, 0.10, 0.20, 0.50, 1.00)
NO_BIN = -1
KEY = ("campaign_id", "platform", "affiliate_id", "status", "discrepancy_level", "bin")
COMPACT_BATCH = 50_000  # deltas folded per statement: a bounded transaction after a long gap

TALLIES = table_of(ReportTally)
DELTAS = table_of(ReportTallyDelta)


def bin_sql(pct: str) -> str:
    """The SQL expression of a log's histogram bin from its `pct` column expression."""
    arms = " ".join(f"WHEN {pct} <= {edge!r} THEN {i}" for i, edge in enumerate(EDGES))
    return f"CASE WHEN {pct} IS NULL THEN {NO_BIN} {arms} ELSE {len(EDGES)} END"


def _key_of(row: str) -> str:
    """The key columns of a log row (`row` is NEW, OLD or a table alias), from its report
    and post (aliases r and p)."""
    return (f"p.campaign_id, p.platform, r.affiliate_id, {row}.status, "
            f"COALESCE({row}.discrepancy_level, ''), {bin_sql(f'{row}.max_discrepancy_pct')}")


def _append(row: str, n: int) -> str:
    return (f"INSERT INTO report_tally_deltas ({', '.join(KEY)}, n) "
            f"SELECT {_key_of(row)}, {n} FROM reports r JOIN posts p ON p.id = r.post_id "
            f"WHERE r.id = {row}.report_id;")


_CHANGED = ("OLD.status IS DISTINCT FROM NEW.status "
            "OR OLD.discrepancy_level IS DISTINCT FROM NEW.discrepancy_level "
            "OR OLD.max_discrepancy_pct IS DISTINCT FROM NEW.max_discrepancy_pct")
_COLUMNS = "status, discrepancy_level, max_discrepancy_pct"


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that create the triggers keeping the deltas, in either database."""
    if dialect == "postgresql":
        return [
            "CREATE FUNCTION report_tally() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' THEN {_append('OLD', -1)} END IF; "
            f"{_append('NEW', 1)} RETURN NULL; END $$",
            "CREATE TRIGGER report_tally_insert AFTER INSERT ON reconciliation_logs "
            "FOR EACH ROW EXECUTE FUNCTION report_tally()",
            f"CREATE TRIGGER report_tally_update AFTER UPDATE OF {_COLUMNS} "
            f"ON reconciliation_logs FOR EACH ROW WHEN ({_CHANGED}) "
            "EXECUTE FUNCTION report_tally()",
        ]
    changed = _CHANGED.replace("IS DISTINCT FROM", "IS NOT")  # SQLite's spelling
    return [
        "CREATE TRIGGER report_tally_insert AFTER INSERT ON reconciliation_logs "
        f"BEGIN {_append('NEW', 1)} END",
        f"CREATE TRIGGER report_tally_update AFTER UPDATE OF {_COLUMNS} "
        f"ON reconciliation_logs WHEN {changed} "
        f"BEGIN {_append('OLD', -1)} {_append('NEW', 1)} END",
    ]


def drop_ddl(dialect: str) -> list[str]:
    drops = ["DROP TRIGGER IF EXISTS report_tally_update"
             + (" ON reconciliation_logs" if dialect == "postgresql" else ""),
             "DROP TRIGGER IF EXISTS report_tally_insert"
             + (" ON reconciliation_logs" if dialect == "postgresql" else "")]
    return drops + (["DROP FUNCTION IF EXISTS report_tally()"]
                    if dialect == "postgresql" else [])


def rebuild_sql(dialect: str) -> list[str]:
    """The statements of `rebuild`, for a caller holding a raw connection (the seed)."""
    lock = (["LOCK TABLE reconciliation_logs IN SHARE MODE"] if dialect == "postgresql"
            else [])
    return [*lock, "DELETE FROM report_tally_deltas", "DELETE FROM report_tallies",
            f"INSERT INTO report_tallies ({', '.join(KEY)}, n) SELECT {_key_of('l')}, "
            "count(*) FROM reconciliation_logs l JOIN reports r ON r.id = l.report_id "
            "JOIN posts p ON p.id = r.post_id GROUP BY 1, 2, 3, 4, 5, 6"]


def rebuild(conn: Connection) -> int:
    """Recount every log into `report_tallies` and drop the deltas; the number of keys.
    Run inside the caller's transaction; on PostgreSQL writers of logs wait for it (a
    table lock), so no change falls between the count and the drop."""
    for statement in rebuild_sql(conn.dialect.name):
        conn.exec_driver_sql(statement)
    return int(conn.scalar(text("SELECT count(*) FROM report_tallies")) or 0)


def _fold_into_tallies(source: str) -> str:
    keys = ", ".join(KEY)
    return (f"INSERT INTO report_tallies ({keys}, n) SELECT {keys}, sum(n) FROM {source} "
            f"WHERE true GROUP BY {keys} "  # WHERE: SQLite's upsert after a SELECT needs one
            f"ON CONFLICT ({keys}) DO UPDATE SET n = report_tallies.n + excluded.n")


def compact(conn: Connection, batch: int = COMPACT_BATCH) -> int:
    """Fold the deltas into one row per key, a batch at a time; the deltas folded.

    On PostgreSQL each batch is one statement that deletes the deltas it folds (a delta
    committed meanwhile is either deleted and counted, or left for the next run: never
    dropped uncounted, whatever order ids commit in). SQLite admits one writer at a time,
    so there the batch is read, folded and deleted under the write lock."""
    folded = 0
    while True:
        if conn.dialect.name == "postgresql":
            n = conn.execute(text(
                "WITH gone AS (DELETE FROM report_tally_deltas WHERE id IN "
                "(SELECT id FROM report_tally_deltas ORDER BY id LIMIT :batch) "
                f"RETURNING {', '.join(KEY)}, n), folded AS ({_fold_into_tallies('gone')} "
                "RETURNING 1) SELECT (SELECT count(*) FROM gone)"), {"batch": batch}).scalar()
        else:
            top = conn.scalar(text("SELECT id FROM report_tally_deltas ORDER BY id "
                                   "LIMIT 1 OFFSET :skip"), {"skip": batch - 1})
            bound = "" if top is None else f" WHERE id <= {int(top)}"
            n = conn.scalar(text(f"SELECT count(*) FROM report_tally_deltas{bound}"))
            conn.execute(text(_fold_into_tallies(f"(SELECT * FROM report_tally_deltas"
                                                 f"{bound})")))
            conn.execute(text(f"DELETE FROM report_tally_deltas{bound}"))
        folded += int(n or 0)
        if not n or n < batch:
            break
    conn.execute(text("DELETE FROM report_tallies WHERE n = 0"))
    return folded


def counted(*columns: str, where: Any = ()) -> Select:
    """Sum the counts by `columns` over the compacted rows and the pending deltas, each
    narrowed by `where` (a function from a table to its conditions); keys summing to 0
    (every report that had them moved on) are left out."""
    parts = []
    for table in (TALLIES, DELTAS):
        conditions = list(where(table)) if callable(where) else []
        parts.append(select(*[table.c[c] for c in columns], table.c.n).where(*conditions))
    both = union_all(*parts).subquery("tallied")
    total = func.sum(both.c.n)
    return (select(*[both.c[c] for c in columns], total.label("n"))
            .group_by(*[both.c[c] for c in columns]).having(total != literal(0)))

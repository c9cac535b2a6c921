"""Compliance export: reports, attempts, snapshots, trust ledger, alerts and the earnings
ledger since a date.

Each table's rows are read in pages by id and written as they come, so an export of any
size runs in constant memory. A row belongs to the export when its own time (submitted,
finished, fetched, created) is at or after `since`.

- jsonl: one file, one row per line, `{"table": <name>, ...the row's columns}`.
- csv: one directory with one file per table (`reports.csv`, `attempts.csv`, ...), each
  with a header row; JSON-valued columns are written as JSON text, and text that starts
  with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'` so that a spreadsheet
  shows it instead of running it (formula injection).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import (
    Alert,
    Attempt,
    EarningEntry,
    Report,
    Snapshot,
    TrustLedger,
)
from reconcile.services.audit import SYSTEM, Actor, record_alone
from reconcile.text import spreadsheet_safe

TABLES: dict[str, tuple[Any, Any]] = {
    "reports": (Report, Report.submitted_at),
    "attempts": (Attempt, Attempt.finished_at),
    "snapshots": (Snapshot, Snapshot.fetched_at),
    "trust_ledger": (TrustLedger, TrustLedger.created_at),
    "alerts": (Alert, Alert.created_at),
    # The earnings ledger, with each entry's current status: held amounts included.
    "earnings": (EarningEntry, EarningEntry.created_at),
}
PAGE = 1000


def count_rows(since: datetime) -> dict[str, int]:
    """Count what an export since `since` will write, per table."""
    with unit_of_work() as uow:
        return {
            name: int(uow.session.scalar(
                select(func.count()).select_from(model).where(when >= since)) or 0)
            for name, (model, when) in TABLES.items()
        }


def columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table][0].__table__.columns]


def iter_rows(table: str, since: datetime) -> Iterator[list[dict[str, Any]]]:
    """Yield the table's rows since `since` as plain dicts, one page at a time."""
    model, when = TABLES[table]
    names, after = columns(table), None
    while True:
        q = select(model.__table__).where(when >= since).order_by(model.id).limit(PAGE)
        if after is not None:
            q = q.where(model.id > after)
        with unit_of_work() as uow:
            page = [dict(zip(names, row, strict=True)) for row in uow.session.execute(q)]
        if not page:
            return
        after = page[-1]["id"]
        yield page


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def csv_cell(value: Any) -> Any:
    """One CSV cell: JSON values as JSON text, text that would run as a formula neutralised."""
    return json.dumps(value) if isinstance(value, dict | list) else spreadsheet_safe(value)


def export(since: datetime, fmt: str, out: Path,
           progress: Callable[[int], None] = lambda n: None,
           actor: Actor = SYSTEM) -> dict[str, int]:
    """Write the export; call progress(rows) after each page; return rows per table.

    The audit trail records it once written: who took which data out, and where.
    """
    written = dict.fromkeys(TABLES, 0)
    with ExitStack() as stack:
        if fmt == "jsonl":
            sink = stack.enter_context(out.open("w", encoding="utf-8"))
        else:
            out.mkdir(parents=True, exist_ok=True)
        for table in TABLES:
            if fmt == "csv":
                handle = stack.enter_context((out / f"{table}.csv").open(
                    "w", encoding="utf-8", newline=""))
                writer = csv.DictWriter(handle, fieldnames=columns(table))
                writer.writeheader()
            for page in iter_rows(table, since):
                for row in page:
                    plain = {k: _plain(v) for k, v in row.items()}
                    if fmt == "jsonl":
                        sink.write(json.dumps({"table": table, **plain}, default=str) + "\n")
                    else:
                        writer.writerow({k: csv_cell(v) for k, v in plain.items()})
                written[table] += len(page)
                progress(len(page))
    record_alone(actor, "export.written", ("export", fmt),
                 after={"since": since.isoformat(), "format": fmt, "out": str(out),
                        "rows": written})
    return written

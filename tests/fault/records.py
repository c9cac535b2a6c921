"""Read what the cluster wrote, straight from its database (the test never writes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool


class Records:
    def __init__(self, database_url: str) -> None:
        # No pool: nothing of the test's lingers for pg_terminate_backend or DROP DATABASE.
        self.engine = sa.create_engine(database_url, poolclass=NullPool)

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def _per_report(self, table: str, report_ids: Iterable[int]) -> Counter[int]:
        ids = list(report_ids)
        found = Counter({i: 0 for i in ids})
        query = sa.text(f"SELECT report_id FROM {table} WHERE report_id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True))
        with self.engine.connect() as conn:
            for chunk in range(0, len(ids), 500):
                found.update(r for (r,) in conn.execute(query, {"ids": ids[chunk:chunk + 500]}))
        return found

    def attempts(self, report_ids: Iterable[int]) -> Counter[int]:
        """Count attempt rows per report."""
        return self._per_report("attempts", report_ids)

    def ledger(self, report_ids: Iterable[int]) -> Counter[int]:
        """Count trust ledger rows per report."""
        return self._per_report("trust_ledger", report_ids)

    def alerts(self, report_ids: Iterable[int]) -> Counter[int]:
        """Count alert rows per report."""
        return self._per_report("alerts", report_ids)

    def unfinished(self, report_ids: Iterable[int]) -> set[int]:
        """Return the reports whose reconciliation is not terminal yet."""
        wanted = set(report_ids)
        done = {r for (r,) in self.rows(
            "SELECT report_id FROM reconciliation_logs WHERE is_terminal = :t", t=True)}
        return wanted - done

    def attempt_pairs(self, report_ids: Iterable[int]) -> Counter[tuple[int, int]]:
        """Count the rows of each (report, attempt number)."""
        wanted = set(report_ids)
        return Counter((r, n) for r, n in self.rows(
            "SELECT report_id, attempt_number FROM attempts") if r in wanted)

    def finished_at(self, report_ids: Iterable[int]) -> dict[int, datetime]:
        """Return when each report's first attempt finished (a datetime on any database)."""
        from reconcile.persistence.models import Attempt

        wanted = set(report_ids)
        with Session(self.engine) as session:
            rows = session.execute(select(Attempt.report_id, Attempt.finished_at)
                                   .where(Attempt.attempt_number == 1))
            return {r: at for r, at in rows if r in wanted}

    def stored_urls(self, urls: Iterable[str]) -> list[str]:
        """Return the URLs among these that some post holds."""
        query = sa.text("SELECT url FROM posts WHERE url IN :urls").bindparams(
            sa.bindparam("urls", expanding=True, type_=sa.String()))
        with self.engine.connect() as conn:
            return [u for (u,) in conn.execute(query, {"urls": list(urls)})]

    def close(self) -> None:
        self.engine.dispose()

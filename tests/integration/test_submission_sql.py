"""On PostgreSQL a new post, its report and its log are one statement; it must write exactly
the rows the three inserts (SQLite's way, and the ORM defaults) write."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Post, ReconciliationLog, Report, table_of
from reconcile.services.intake import submission_sql as sql
from reconcile.services.intake.submissions import Claim, _insert_report, _report_rows
from tests.conftest import requires_postgres, unique

# Differ between the two posts by construction.
OWN = {"id", "post_id", "report_id", "url", "normalized_url", "platform_post_id"}

CLAIMS = [
    pytest.param(Claim(1000, 50, 5), "normal", [], id="plain"),
    pytest.param(Claim(10, 0, 0, evidence="screenshot"), "high",
                 [{"code": "duplicate_claim", "detail": "x"}], id="flagged-with-evidence"),
]


def _rows(conn: Any, post_id: int) -> dict[str, dict[str, Any]]:
    out = {}
    for name, model, column in (("post", Post, "id"), ("report", Report, "post_id")):
        table = table_of(model)
        out[name] = dict(conn.execute(select(table).where(table.c[column] == post_id))
                         .mappings().one())
    logs = table_of(ReconciliationLog)
    out["log"] = dict(conn.execute(select(logs).where(logs.c.report_id == out["report"]["id"]))
                      .mappings().one())
    return {name: {k: v for k, v in row.items() if k not in OWN} for name, row in out.items()}


@pytest.mark.parametrize(("claim", "priority", "flags"), CLAIMS)
def test_one_statement_writes_what_three_inserts_write(world: Any, claim: Claim, priority: str,
                                                       flags: list[dict]) -> None:
    requires_postgres()
    now = datetime.now(UTC)
    rows = _report_rows(world.affiliate["id"], claim, priority, flags, "req-1", now)

    def post(n: str) -> dict[str, Any]:
        return {"affiliate_id": world.affiliate["id"], "campaign_id": world.campaign_id,
                "platform": "youtube", "url": f"https://youtu.be/{n}",
                "normalized_url": f"https://www.youtube.com/watch?v={n}",
                "platform_post_id": n, "title": "A title"}

    with unit_of_work() as uow:
        conn = uow.session.connection()
        one, _ = conn.execute(sql.INSERT_POST_REPORT_LOG, {
            **post(unique("one")), **rows[0], **rows[1], "now": now, "empty_list": [],
            "empty_dict": {}}).one()
        three = int(conn.execute(sql.INSERT_POST, {**post(unique("three")), "created_at": now})
                    .scalar_one())
        _insert_report(conn, three, rows)
        written = _rows(conn, one), _rows(conn, three)
        uow.session.rollback()

    one_way, other_way = written
    assert {name: set(row) for name, row in one_way.items()} == \
        {name: set(row) for name, row in other_way.items()}
    differing = {(name, column): (value, other_way[name][column])
                 for name, row in one_way.items() for column, value in row.items()
                 if value != other_way[name][column]}
    assert differing == {}
    assert written[0]["report"]["suspicion_flags"] == flags
    assert written[0]["log"]["status"] == "PENDING"

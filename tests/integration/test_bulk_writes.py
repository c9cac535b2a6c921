"""TableWrites (persistence/bulk.py): many rows' changes, each shape of columns in one
UPDATE (on PostgreSQL joining a VALUES list), leave every row exactly as set, whatever
the types, NULLs and shapes mixed in one batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from reconcile.persistence.bulk import TableWrites
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import ReconciliationLog
from tests.integration.flows import post_url, submit_claim

BASE = datetime(2026, 3, 1, 12, tzinfo=UTC)
# A column of each kind an attempt batch writes: text, nullable text, integer, float,
# numeric, timestamp, JSON object and JSON list.
COLUMNS = {
    "status": st.sampled_from(["MATCHED", "DISCREPANCY_HIGH", "PENDING"]),
    "discrepancy_level": st.one_of(st.none(), st.sampled_from(["LOW", "HIGH"])),
    "attempt_count": st.integers(0, 2**31 - 1),
    "max_discrepancy_pct": st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)),
    "trust_delta": st.one_of(st.none(), st.integers(-10_000, 10_000).map(lambda n: n / 10_000)),
    "last_attempt_at": st.one_of(st.none(), st.integers(0, 10**7).map(
        lambda s: BASE + timedelta(seconds=s, microseconds=s % 1000))),
    "metrics": st.dictionaries(st.sampled_from(["views", "clicks"]), st.dictionaries(
        st.just("claimed"), st.one_of(st.none(), st.integers(0, 10**9), st.text(max_size=5)))),
    "missing_fields": st.lists(st.sampled_from(["views", "clicks", "it's"]), max_size=3),
}


@pytest.fixture
def reports(world: Any) -> list[int]:
    """Six reports' logs, written over and over by the examples (hypothesis runs them all
    against one set of fixtures)."""
    affiliate = world.new_affiliate()
    return [submit_claim(world, affiliate, "youtube", post_url("youtube"), (1, 0, 0))
            for _ in range(6)]


_CHANGES = st.lists(st.tuples(
    st.integers(0, 5),  # which report
    st.fixed_dictionaries({}, optional=COLUMNS)), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=_CHANGES)
def test_every_row_ends_as_set_whatever_the_shapes_and_types(
        reports: list[int], changes: list[tuple[int, dict[str, Any]]]) -> None:
    writes = TableWrites(ReconciliationLog, "report_id")
    expected: dict[int, dict[str, Any]] = {}
    for which, values in changes:
        writes.set(reports[which], **values)
        expected.setdefault(reports[which], {}).update(values)
    with unit_of_work() as uow:
        writes.update(uow.session.connection())
    with unit_of_work() as uow:
        for report, values in expected.items():
            row = uow.session.scalars(select(ReconciliationLog).where(
                ReconciliationLog.report_id == report)).one()
            assert {name: getattr(row, name) for name in values} == values

"""Every stored time reads back time-zone aware, in UTC, on SQLite as on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from reconcile.persistence.models import UTCDateTime

_METADATA = sa.MetaData()
_TIMES = sa.Table("times", _METADATA, sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("at", UTCDateTime()))
_ENGINE = sa.create_engine("sqlite://")
_METADATA.create_all(_ENGINE)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
       st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_a_time_in_any_zone_reads_back_as_the_same_instant_in_utc(naive: datetime,
                                                                    minutes: int) -> None:
    written = naive.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    with _ENGINE.begin() as conn:
        row_id = conn.execute(sa.insert(_TIMES).values(at=written)).inserted_primary_key[0]
        read = conn.execute(sa.select(_TIMES.c.at).where(_TIMES.c.id == row_id)).scalar_one()
    assert read.tzinfo is not None and read.utcoffset() == timedelta(0)
    assert read == written


def test_an_aggregate_of_a_time_column_reads_back_aware_too() -> None:
    with _ENGINE.begin() as conn:
        conn.execute(sa.insert(_TIMES).values(at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)))
        newest = conn.execute(sa.select(sa.func.max(_TIMES.c.at))).scalar_one()
    assert newest.tzinfo is not None

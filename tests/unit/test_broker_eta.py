"""A message runs now unless its `eta` header is still in the future (naive means UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.broker import is_due

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("headers", "due"), [
    ({}, True),
    ({"eta": None}, True),
    ({"eta": "2026-12-02T11:59:59+00:00"}, True),
    ({"eta": "2026-12-02T12:00:00+00:00"}, True),
    ({"eta": "2026-12-02T12:00:01+00:00"}, False),
    ({"eta": "2026-12-02T12:00:01"}, False),  # naive: read as UTC
    ({"eta": "2026-12-02T13:30:00+02:00"}, True),  # 11:30 UTC
])
def test_a_message_is_due_unless_its_eta_is_later(headers: dict, due: bool) -> None:
    assert is_due(headers, NOW) is due


@given(st.integers(min_value=-86_400, max_value=86_400),
       st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_the_zone_an_eta_is_written_in_does_not_change_when_it_is_due(seconds: int,
                                                                      minutes: int) -> None:
    eta = (NOW + timedelta(seconds=seconds)).astimezone(timezone(timedelta(minutes=minutes)))
    assert is_due({"eta": eta.isoformat()}, NOW) is (seconds <= 0)

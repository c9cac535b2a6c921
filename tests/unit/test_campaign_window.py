"""When a campaign takes claims (new posts and new metrics alike)."""

from __future__ import annotations

from datetime import date

import pytest

from reconcile.rules import closed_reason

MAY_1, MAY_31 = date(2026, 5, 1), date(2026, 5, 31)


@pytest.mark.parametrize(("status", "start", "end", "today", "open_"), [
    ("ACTIVE", None, None, MAY_1, True),
    ("ACTIVE", MAY_1, MAY_31, MAY_1, True),  # the first day counts
    ("ACTIVE", MAY_1, MAY_31, MAY_31, True),  # so does the last
    ("ACTIVE", MAY_1, MAY_31, date(2026, 4, 30), False),  # not started
    ("ACTIVE", MAY_1, MAY_31, date(2026, 6, 1), False),  # ended
    ("ACTIVE", MAY_1, None, date(2030, 1, 1), True),
    ("ACTIVE", None, MAY_31, date(2020, 1, 1), True),
    ("PAUSED", None, None, MAY_1, False),
    ("ENDED", MAY_1, MAY_31, MAY_1, False),
])
def test_a_campaign_takes_claims_only_while_active_and_within_its_dates(
    status: str, start: date | None, end: date | None, today: date, open_: bool
) -> None:
    reason = closed_reason(status, start, end, today)

    assert (reason is None) is open_

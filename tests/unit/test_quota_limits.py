"""Which allowance applies to a request (operations.md, Security)."""

from __future__ import annotations

import pytest

from reconcile.rules import default_rules
from reconcile.services.intake.quotas import WINDOW_SECONDS, limit_for

RULES = default_rules().rate_limits


@pytest.mark.parametrize(("kind", "bucket", "limit", "window"), [
    ("submissions", "normal", 100, 3600),
    ("submissions", "high_trust", 100, 3600),
    ("submissions", "low_trust", 100, 3600),
    ("submissions", "critical", 10, 3600),
    ("submissions", None, 100, 3600),
    ("reruns", None, 10, 60),
    ("reruns", "critical", 10, 60),
    ("default", None, 1000, 3600),
    ("default", "critical", 1000, 3600),
])
def test_each_kind_of_request_has_its_allowance_and_window(
    kind: str, bucket: str | None, limit: int, window: int
) -> None:
    assert limit_for(kind, RULES, bucket) == limit
    assert WINDOW_SECONDS[kind] == window


def test_a_critical_affiliate_keeps_at_least_one_submission() -> None:
    from dataclasses import replace

    tiny = replace(RULES, submissions_per_hour=5)

    assert limit_for("submissions", tiny, "critical") == 1

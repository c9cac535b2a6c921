"""The side-by-side comparison of rule sets, on plain samples."""

from __future__ import annotations

import pytest

from reconcile.rules import default_rules, rules_from_mapping
from reconcile.services.admin.rules_whatif import Sample, compare


def _sample(affiliate: int, claimed_views: int, observed_views: int | None) -> Sample:
    return Sample(affiliate, {"views": claimed_views, "clicks": 10, "conversions": 1},
                  {"views": observed_views, "clicks": 10, "conversions": 1}, 1.0)


@pytest.mark.parametrize(("tolerance", "statuses"), [
    (0.05, {"DISCREPANCY_LOW": 1, "MATCHED": 1}),
    (0.08, {"MATCHED": 2}),
    (0.03, {"DISCREPANCY_LOW": 2}),
])
def test_base_tolerance_decides_whether_a_small_overclaim_matches(
    tolerance: float, statuses: dict[str, int]
) -> None:
    samples = [_sample(1, 1070, 1000), _sample(1, 1040, 1000)]
    candidate = rules_from_mapping({"classification": {"base_tolerance_pct": tolerance}})

    out = compare(samples, {1: 0.6}, default_rules(), candidate)

    assert out["candidate"]["statuses"] == statuses
    assert out["current"]["statuses"] == {"DISCREPANCY_LOW": 1, "MATCHED": 1}


def test_trust_moves_are_summed_per_bucket_of_the_affiliates_score() -> None:
    samples = [_sample(1, 1070, 1000), _sample(2, 1000, 1000), _sample(2, 1000, None)]
    candidate = rules_from_mapping({"trust": {"deltas": {"perfect_match": 0.02}}})

    out = compare(samples, {1: 0.8, 2: 0.3}, default_rules(), candidate)

    assert out["current"]["trust_by_bucket"] == {
        "high_trust": {"affiliates": 1, "delta": -0.01},
        "low_trust": {"affiliates": 1, "delta": 0.01},
    }
    assert out["candidate"]["trust_by_bucket"]["low_trust"] == {"affiliates": 1, "delta": 0.02}
    assert out["changed"] == 0 and out["transitions"] == []

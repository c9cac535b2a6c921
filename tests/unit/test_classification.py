"""Classification of one attempt: every worked example of domain.md, and the edges."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.rules import METRICS, Level, Status, classify, default_rules

RULES = default_rules().classification
NA: None = None  # an absent observed metric ("—" in domain.md)

# (number, claimed, observed, hours, status, level, (metric, pct) noted, confidence)
WORKED_EXAMPLES = [
    (1, (1000, 50, 5), (1000, 50, 5), 0, "MATCHED", None, None, 1.0),
    (2, (1080, 50, 5), (1000, 50, 5), 0, "DISCREPANCY_LOW", "LOW", ("views", 0.08), 1.0),
    (3, (1150, 50, 5), (1000, 50, 5), 0, "DISCREPANCY_MEDIUM", "MEDIUM", ("views", 0.15), 1.0),
    (4, (1250, 50, 5), (1000, 50, 5), 0, "AFFILIATE_OVERCLAIMED", "HIGH", ("views", 0.25), 1.0),
    (5, (1600, 50, 5), (1000, 50, 5), 0, "AFFILIATE_OVERCLAIMED", "CRITICAL", ("views", 0.6), 1.0),
    (6, (700, 50, 5), (1000, 50, 5), 0, "DISCREPANCY_HIGH", "HIGH", ("views", -0.3), 1.0),
    (7, (1000, 50, 5), (1200, 60, 6), 2, "MATCHED", None, ("views", 0.0), 1.0),
    (8, (1000, 50, 5), (1300, 60, 6), 2, "DISCREPANCY_LOW", "LOW", ("views", -0.0769), 1.0),
    (9, (1250, 50, 5), (1000, 50, 5), 10, "AFFILIATE_OVERCLAIMED", "HIGH", ("views", 0.25), 1.0),
    (10, (100, 10, 1), (100, 10, 0), 0, "MATCHED", None, ("conversions", 0.0), 1.0),
    (11, (1000, 50, 5), (NA, 50, NA), 0, "INCOMPLETE_PLATFORM_DATA", None, ("clicks", 0.0), 0.3333),
    (12, (5000, 50, 5), (1000, NA, NA), 0, "AFFILIATE_OVERCLAIMED", "CRITICAL", ("views", 4.0),
     0.3333),
    (13, (1000, 50, 5), (NA, NA, NA), 0, "MISSING_PLATFORM_DATA", None, None, 0.0),
    (14, (0, 0, 0), (0, 0, 0), 0, "MATCHED", None, None, 1.0),
    (15, (50, 0, 0), (0, 0, 0), 0, "AFFILIATE_OVERCLAIMED", "CRITICAL", ("views", 1.0), 1.0),
    (16, (1050, 50, 5), (1000, 50, 5), 0, "MATCHED", None, ("views", 0.05), 1.0),
]


def _metrics(values):
    return dict(zip(METRICS, values, strict=True))


@pytest.mark.parametrize(
    "number, claimed, observed, hours, status, level, noted, confidence",
    WORKED_EXAMPLES,
    ids=[f"example {row[0]}" for row in WORKED_EXAMPLES],
)
def test_each_worked_example_gets_the_status_level_pct_and_confidence_of_the_contract(
    number, claimed, observed, hours, status, level, noted, confidence
):
    result = classify(_metrics(claimed), _metrics(observed), hours, RULES)
    assert result.status == status
    assert result.level == level
    assert result.confidence == confidence
    if noted is not None:
        metric, pct = noted
        assert result.metrics[metric].pct == pct


def test_the_log_keeps_claimed_observed_signed_difference_and_pct_per_metric():
    result = classify(_metrics((700, 50, 5)), _metrics((1000, 50, 5)), 0, RULES)
    views = result.metrics["views"]
    assert (views.claimed, views.observed, views.difference, views.pct) == (700, 1000, -300, -0.3)
    assert result.max_discrepancy_pct == 0.3
    assert result.missing_fields == ()


def test_absent_metrics_are_listed_and_keep_only_the_claimed_value():
    result = classify(_metrics((1000, 50, 5)), _metrics((NA, 50, NA)), 0, RULES)
    assert result.missing_fields == ("views", "conversions")
    views = result.metrics["views"]
    assert (views.claimed, views.observed, views.difference, views.pct) == (1000, None, None, None)


def test_a_metric_left_out_of_the_observed_mapping_counts_as_absent():
    result = classify(_metrics((1000, 50, 5)), {"clicks": 50}, 0, RULES)
    assert result.status == Status.INCOMPLETE_PLATFORM_DATA
    assert result.missing_fields == ("views", "conversions")


def test_missing_platform_data_has_no_max_discrepancy():
    result = classify(_metrics((1000, 50, 5)), {}, 0, RULES)
    assert result.max_discrepancy_pct is None
    assert result.confidence == 0.0


def test_partial_data_with_an_over_claim_below_critical_stays_incomplete():
    result = classify(_metrics((1300, 50, 5)), _metrics((1000, NA, NA)), 0, RULES)
    assert result.status == Status.INCOMPLETE_PLATFORM_DATA
    assert result.level is None
    assert result.metrics["views"].pct == 0.3


def test_two_present_metrics_give_confidence_two_thirds():
    result = classify(_metrics((1000, 50, 5)), _metrics((1000, 50, NA)), 0, RULES)
    assert result.confidence == 0.6667


def test_an_over_claim_within_the_absolute_tolerance_is_noise():
    result = classify(_metrics((1010, 52, 6)), _metrics((1000, 50, 5)), 0, RULES)
    assert result.status == Status.MATCHED
    assert all(r.pct == 0.0 for r in result.metrics.values())


def test_an_over_claim_just_past_the_absolute_tolerance_counts():
    result = classify(_metrics((11, 0, 0)), _metrics((0, 0, 0)), 0, RULES)
    assert result.metrics["views"].pct == 1.0


def test_the_absolute_tolerance_of_an_under_claim_is_measured_against_the_lower_bound():
    # 2 hours of growth: lower bound 1200 / 1.2 = 1000; 991 is 9 views short of it.
    near = classify(_metrics((991, 50, 5)), _metrics((1200, 50, 5)), 2, RULES)
    assert near.metrics["views"].pct == 0.0
    far = classify(_metrics((900, 50, 5)), _metrics((1200, 50, 5)), 2, RULES)
    assert far.metrics["views"].pct == -0.1


def test_growth_allowance_stops_at_the_cap():
    # Capped at 24 h: lower bound 3400 / 3.4 = 1000; at 30 h without a cap it would be 850.
    result = classify(_metrics((900, 50, 5)), _metrics((3400, 50, 5)), 30, RULES)
    assert result.metrics["views"].pct == -0.1


def test_negative_hours_allow_no_growth():
    result = classify(_metrics((1000, 50, 5)), _metrics((1200, 50, 5)), -5, RULES)
    assert result.metrics["views"].pct == pytest.approx(-0.1667)


def test_an_under_claim_of_zero_against_a_real_count_is_minus_one():
    result = classify(_metrics((0, 50, 5)), _metrics((1000, 50, 5)), 0, RULES)
    assert result.metrics["views"].pct == -1.0
    assert result.status == Status.DISCREPANCY_HIGH


def test_an_over_claim_exactly_at_the_threshold_is_an_over_claim():
    assert classify(_metrics((1200, 50, 5)), _metrics((1000, 50, 5)), 0, RULES).level == "HIGH"
    assert (
        classify(_metrics((1500, 50, 5)), _metrics((1000, 50, 5)), 0, RULES).level == "CRITICAL"
    )


@pytest.mark.parametrize(
    "views, status",
    [(1100, Status.DISCREPANCY_LOW), (1101, Status.DISCREPANCY_MEDIUM)],
)
def test_tier_upper_bounds_are_inclusive(views, status):
    assert classify(_metrics((views, 50, 5)), _metrics((1000, 50, 5)), 0, RULES).status == status


def test_an_under_claim_of_twenty_percent_is_medium_not_an_over_claim():
    result = classify(_metrics((800, 50, 5)), _metrics((1000, 50, 5)), 0, RULES)
    assert (result.status, result.level) == (Status.DISCREPANCY_MEDIUM, Level.MEDIUM)


def test_statuses_and_levels_serialise_to_json_as_plain_strings():
    result = classify(_metrics((1600, 50, 5)), _metrics((1000, 50, 5)), 0, RULES)
    assert json.dumps([result.status, result.level]) == '["AFFILIATE_OVERCLAIMED", "CRITICAL"]'


def test_pending_is_a_status_classification_never_returns():
    assert Status.PENDING == "PENDING"


counts = st.integers(min_value=0, max_value=10**12)


@given(claimed=st.tuples(counts, counts, counts), observed=st.tuples(counts, counts, counts),
       hours=st.floats(min_value=-48, max_value=1000))
def test_any_fully_observed_claim_gets_rounded_pcts_and_a_level_unless_matched(
    claimed, observed, hours
):
    result = classify(_metrics(claimed), _metrics(observed), hours, RULES)
    for r in result.metrics.values():
        assert r.pct is not None
        assert r.pct == round(r.pct, 4)
        assert r.pct >= -1.0
    assert result.confidence == 1.0
    assert result.status not in (Status.MISSING_PLATFORM_DATA, Status.INCOMPLETE_PLATFORM_DATA)
    assert (result.level is None) == (result.status == Status.MATCHED)


@given(observed=st.integers(min_value=0, max_value=10**9), excess=st.integers(1, 10**9),
       hours=st.floats(min_value=0, max_value=1000))
def test_growth_never_forgives_an_over_claim_however_late_the_fetch(observed, excess, hours):
    claimed = observed + excess
    late = classify(_metrics((claimed, 0, 0)), _metrics((observed, 0, 0)), hours, RULES)
    early = classify(_metrics((claimed, 0, 0)), _metrics((observed, 0, 0)), 0, RULES)
    pct = late.metrics["views"].pct
    assert pct is not None
    assert pct == early.metrics["views"].pct
    assert pct >= 0

"""Submission checks: each suspicion flag on both sides of its boundary."""

import pytest

from reconcile.rules import Flag, default_rules, priority_for, suspicion_flags

RULES = default_rules().quality
EVIDENCE = "https://example.com/screenshot.png"


def _flags(views, clicks, conversions, *, evidence=EVIDENCE, previous=None, duplicate=False):
    claimed = {"views": views, "clicks": clicks, "conversions": conversions}
    return suspicion_flags(claimed, evidence=evidence, previous=previous,
                           duplicate_claim=duplicate, rules=RULES)


def _named(flags):
    return {f.name: f.severity for f in flags}


# (views, clicks, conversions, expected {name: severity} for the flag under test)
RATIO_CASES = [
    ("ctr at the threshold", (1000, 350, 0), {}),
    ("ctr just above", (1000, 351, 0), {"high_ctr": "LOW"}),
    ("ctr just below 1.5x", (1000, 524, 0), {"high_ctr": "LOW"}),
    ("ctr at 1.5x", (1000, 525, 0), {"high_ctr": "MEDIUM"}),
    ("ctr just below 3x", (1000, 1049, 0), {"high_ctr": "MEDIUM"}),
    ("ctr at 3x", (1000, 1050, 0), {"high_ctr": "HIGH"}),
    ("ctr high but views just below 100", (99, 98, 0), {}),
    ("ctr high with views at 100", (100, 36, 0), {"high_ctr": "LOW"}),
    ("cvr at the threshold", (1000, 100, 60), {}),
    ("cvr just above", (1000, 100, 61), {"high_cvr": "LOW"}),
    ("cvr just below 1.5x", (1000, 100, 89), {"high_cvr": "LOW"}),
    ("cvr at 1.5x", (1000, 100, 90), {"high_cvr": "MEDIUM"}),
    ("cvr just below 3x", (1000, 100, 179), {"high_cvr": "MEDIUM"}),
    ("cvr at 3x", (1000, 100, 180), {"high_cvr": "HIGH"}),
    ("cvr high but clicks just below 20", (1000, 19, 19), {}),
    ("cvr high with clicks at 20", (1000, 20, 13), {"high_cvr": "LOW"}),
]


@pytest.mark.parametrize("claimed, expected", [c[1:] for c in RATIO_CASES],
                         ids=[c[0] for c in RATIO_CASES])
def test_rate_flags_scale_low_medium_high_with_the_threshold(claimed, expected):
    flags = _named(_flags(*claimed))
    assert {k: v for k, v in flags.items() if k in ("high_ctr", "high_cvr")} == expected


@pytest.mark.parametrize(
    "claimed, flagged",
    [((100, 100, 100), False), ((100, 20, 5), False), ((100, 101, 0), True),
     ((100, 10, 11), True), ((0, 0, 0), False)],
)
def test_metrics_out_of_order_raise_a_medium_flag(claimed, flagged):
    flags = _named(_flags(*claimed))
    assert ("metric_order_violation" in flags) is flagged
    if flagged:
        assert flags["metric_order_violation"] == "MEDIUM"


@pytest.mark.parametrize(
    "views, evidence, flagged",
    [(49_999, None, False), (50_000, None, True), (50_000, "", True), (50_000, "  ", True),
     (50_000, EVIDENCE, False)],
)
def test_many_views_without_evidence_raise_a_medium_flag(views, evidence, flagged):
    flags = _named(_flags(views, 0, 0, evidence=evidence))
    assert flags.get("missing_evidence") == ("MEDIUM" if flagged else None)


PREVIOUS = {"views": 1000, "clicks": 100, "conversions": 10}


@pytest.mark.parametrize(
    "claimed, expected",
    [
        ((990, 100, 10), {}),  # exactly 1 % less
        ((989, 100, 10), {"views_decrease": "LOW"}),
        ((1000, 98, 10), {"clicks_decrease": "LOW"}),
        ((1000, 100, 9), {"conversions_decrease": "LOW"}),
        ((6000, 100, 10), {}),  # exactly 6x
        ((6001, 100, 10), {"views_spike": "HIGH"}),
        ((1000, 601, 10), {"clicks_spike": "HIGH"}),
        ((1000, 100, 61), {"conversions_spike": "HIGH"}),
    ],
)
def test_updates_that_fall_or_spike_against_the_previous_report_are_flagged(claimed, expected):
    flags = _named(_flags(*claimed, previous=PREVIOUS))
    assert {k: v for k, v in flags.items() if k.endswith(("_decrease", "_spike"))} == expected


def test_growth_from_a_previous_zero_is_not_a_spike():
    flags = _named(_flags(1000, 100, 10, previous={"views": 0, "clicks": 0, "conversions": 0}))
    assert flags == {}


def test_a_first_report_has_no_update_flags():
    assert _flags(10, 5, 1) == []


def test_a_duplicate_claim_raises_a_high_flag():
    assert _named(_flags(1000, 100, 10, duplicate=True)) == {"duplicate_claim": "HIGH"}


def test_flags_come_in_the_order_of_domain_md():
    flags = _flags(60_000, 60_001, 0, evidence=None,
                   previous={"views": 100, "clicks": 100, "conversions": 100}, duplicate=True)
    assert [f.name for f in flags] == [
        "high_ctr", "metric_order_violation", "missing_evidence", "conversions_decrease",
        "views_spike", "clicks_spike", "duplicate_claim",
    ]


def test_a_flag_serialises_to_name_severity_and_detail():
    flag = Flag("views_spike", "HIGH", "views jumped from 1 to 7")
    assert flag.to_dict() == {"name": "views_spike", "severity": "HIGH",
                              "detail": "views jumped from 1 to 7"}


@pytest.mark.parametrize(
    "severities, priority",
    [([], "normal"), (["LOW", "MEDIUM"], "normal"), (["LOW", "HIGH"], "high")],
)
def test_a_report_with_any_high_flag_is_reconciled_at_high_priority(severities, priority):
    assert priority_for([Flag("x", s, "") for s in severities]) == priority

"""Alert rules R1-R6: type, category and severity from domain.md's table."""

import pytest

from reconcile.rules import (
    METRICS,
    alerts_for_attempt,
    classify,
    default_rules,
    duplicate_claim_alert,
    missing_data_alert,
    outage_alert,
    trust_threshold_alert,
)

RULES = default_rules()


def _classified(claimed, observed):
    return classify(dict(zip(METRICS, claimed, strict=True)),
                    dict(zip(METRICS, observed, strict=True)), 0, RULES.classification)


OVERCLAIM_HIGH = _classified((1250, 50, 5), (1000, 50, 5))
OVERCLAIM_CRITICAL = _classified((1600, 50, 5), (1000, 50, 5))
DISCREPANCY_HIGH = _classified((700, 50, 5), (1000, 50, 5))
MISSING = _classified((1000, 50, 5), (None, None, None))


def _alert(result, *, terminal=True, reason=None, repeat=False):
    return alerts_for_attempt(result, terminal=terminal, missing_reason=reason,
                              recent_high_discrepancy_same_platform=repeat)


# (rule, classification, terminal, missing_reason, repeat, type, category, severity)
ATTEMPT_ALERTS = [
    ("R1", OVERCLAIM_HIGH, True, None, False, "HIGH_DISCREPANCY", "FRAUD", "HIGH"),
    ("R1", OVERCLAIM_CRITICAL, True, None, False, "HIGH_DISCREPANCY", "FRAUD", "CRITICAL"),
    ("R2", DISCREPANCY_HIGH, True, None, False, "HIGH_DISCREPANCY", "DATA_QUALITY", "HIGH"),
    ("R2", DISCREPANCY_HIGH, True, None, True, "HIGH_DISCREPANCY", "DATA_QUALITY", "CRITICAL"),
    ("R3", MISSING, True, "timeout", False, "MISSING_DATA", "SYSTEM_HEALTH", "MEDIUM"),
    ("R3", MISSING, True, "not_found", False, "MISSING_DATA", "SYSTEM_HEALTH", "HIGH"),
]


@pytest.mark.parametrize(
    "rule, result, terminal, reason, repeat, type_, category, severity", ATTEMPT_ALERTS,
    ids=["R1 high", "R1 critical", "R2", "R2 repeat", "R3", "R3 not found"],
)
def test_each_attempt_outcome_raises_its_rule_with_type_category_and_severity(
    rule, result, terminal, reason, repeat, type_, category, severity
):
    [alert] = _alert(result, terminal=terminal, reason=reason, repeat=repeat)
    assert (alert.rule, alert.type, alert.category, alert.severity) == (
        rule, type_, category, severity
    )


def test_the_over_claim_title_names_the_metric_and_the_percentage():
    [alert] = _alert(OVERCLAIM_CRITICAL)
    assert alert.title == "Affiliate over-claimed views by 60%"
    assert alert.threshold_breached == {"metric": "views", "claimed": 1600, "observed": 1000,
                                        "pct": 0.6}


def test_rules_add_the_breached_threshold_to_the_alert():
    [alert] = alerts_for_attempt(OVERCLAIM_HIGH, terminal=True, missing_reason=None,
                                 recent_high_discrepancy_same_platform=False,
                                 rules=RULES.classification)
    assert alert.threshold_breached["overclaim_pct"] == 0.2


def test_a_high_discrepancy_alert_names_an_under_claim_as_such():
    [alert] = _alert(DISCREPANCY_HIGH)
    assert alert.title == "High discrepancy: views under-claimed by 30%"


def test_a_partial_data_critical_over_claim_raises_a_critical_fraud_alert():
    [alert] = _alert(_classified((5000, 50, 5), (1000, None, None)))
    assert (alert.rule, alert.severity) == ("R1", "CRITICAL")
    assert alert.title == "Affiliate over-claimed views by 400%"


def test_missing_data_that_will_be_retried_raises_nothing():
    assert _alert(MISSING, terminal=False, reason="timeout") == []


@pytest.mark.parametrize(
    "claimed, observed",
    [((1000, 50, 5), (1000, 50, 5)), ((1080, 50, 5), (1000, 50, 5)),
     ((1150, 50, 5), (1000, 50, 5)), ((1000, 50, 5), (None, 50, None))],
    ids=["matched", "low", "medium", "incomplete"],
)
def test_outcomes_without_a_rule_raise_nothing(claimed, observed):
    assert _alert(_classified(claimed, observed)) == []


def test_a_deferral_that_reaches_the_window_can_raise_r3_with_its_reason():
    alert = missing_data_alert("platform_disabled")
    assert (alert.rule, alert.severity) == ("R3", "MEDIUM")
    assert alert.threshold_breached == {"missing_reason": "platform_disabled"}


def test_falling_into_the_critical_bucket_raises_a_trust_threshold_alert():
    alert = trust_threshold_alert(0.26, 0.24, RULES.trust)
    assert alert is not None
    assert (alert.rule, alert.type, alert.category, alert.severity) == (
        "R4", "TRUST_THRESHOLD", "FRAUD", "HIGH"
    )


@pytest.mark.parametrize("before, after", [(0.24, 0.2), (0.3, 0.26), (0.2, 0.3)])
def test_no_trust_threshold_alert_unless_the_score_crosses_into_critical(before, after):
    assert trust_threshold_alert(before, after, RULES.trust) is None


def test_a_breaker_open_longer_than_the_escalation_time_raises_an_outage_alert():
    alert = outage_alert("tiktok", 121, RULES.alerts)
    assert alert is not None
    assert (alert.rule, alert.type, alert.category, alert.severity) == (
        "R5", "PLATFORM_OUTAGE", "SYSTEM_HEALTH", "HIGH"
    )
    assert "tiktok" in alert.title


def test_a_breaker_open_exactly_the_escalation_time_raises_nothing_yet():
    assert outage_alert("tiktok", 120, RULES.alerts) is None


def test_a_url_claimed_by_another_affiliate_raises_a_suspicious_claim_alert():
    alert = duplicate_claim_alert("https://example.com/p/1")
    assert (alert.rule, alert.type, alert.category, alert.severity) == (
        "R6", "SUSPICIOUS_CLAIM", "FRAUD", "HIGH"
    )
    assert alert.threshold_breached == {"url": "https://example.com/p/1"}


@pytest.mark.parametrize("claimed, observed, says", [
    ((1600, 50, 5), (1000, 50, 5), "Claimed 1600 views, the platform shows 1000."),
    ((1000, 90, 5), (1000, 40, 5), "Claimed 90 clicks, its source counted 40."),
])
def test_an_overclaim_message_names_where_the_number_came_from(claimed, observed, says):
    [alert] = alerts_for_attempt(_classified(claimed, observed), terminal=True,
                                 missing_reason=None,
                                 recent_high_discrepancy_same_platform=False)
    assert says in alert.message

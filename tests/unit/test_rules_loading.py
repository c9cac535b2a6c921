"""The rules file: defaults, partial files, validation naming the key, the version."""

import json

import pytest

from reconcile.rules import Rules, RulesError, default_rules, load_rules, rules_from_mapping

# Every default number of domain.md (and the operational ones the runtime reads).
DOMAIN_DEFAULTS = {
    "classification": {
        "base_tolerance_pct": 0.05, "low_max_pct": 0.10, "medium_max_pct": 0.20,
        "overclaim_pct": 0.20, "overclaim_critical_pct": 0.50, "growth_per_hour_pct": 0.10,
        "growth_cap_hours": 24,
        "absolute_tolerance": {"views": 10, "clicks": 2, "conversions": 1},
    },
    "trust": {
        "initial": 0.50,
        "deltas": {"perfect_match": 0.01, "minor_discrepancy": -0.01,
                   "medium_discrepancy": -0.03, "high_discrepancy": -0.05, "overclaim": -0.10},
        "buckets": {"high_trust": 0.75, "normal": 0.50, "low_trust": 0.25},
    },
    "retry": {
        "missing": {"initial_delay_seconds": 1800, "max_attempts": 5, "window_hours": 24,
                    "jitter_pct": 0.10, "disabled_recheck_seconds": 300},
        "incomplete": {"delay_seconds": 900, "max_additional_attempts": 1},
        "failed": {"max_tries": 3, "delay_seconds": 60},
    },
    "alerts": {"repeat_window_hours": 6, "platform_down_escalation_minutes": 120,
               "max_deliveries_per_window": 5, "delivery_window_minutes": 60},
    # truth.md, Takedown: verified posts stay watched for 30 days (docs/fraud.md), each
    # platform within its share of calls.
    "reverify": {"max_age_days": 7, "sweep_interval_seconds": 300,
                 "interval_hours": {"high_trust": 72, "normal": 24, "low_trust": 6,
                                    "critical": 1},
                 "live_days": 30, "live_interval_hours": 24,
                 "calls_per_hour": {"reddit": 60, "instagram": 60, "tiktok": 60,
                                    "youtube": 60, "x": 60}},
    "quality": {"high_ctr": 0.35, "high_ctr_min_views": 100, "high_cvr": 0.60,
                "high_cvr_min_clicks": 20, "medium_factor": 1.5, "high_factor": 3.0,
                "missing_evidence_views": 50000, "decrease_pct": 0.01, "spike_factor": 6.0},
    "breaker": {"fail_max": 5, "reset_timeout_seconds": 60},
    "fetch": {"timeout_seconds": 5.0, "max_attempts": 3, "backoff_base_seconds": 0.5,
              "batch_wait_seconds": 0.05},
    "intake": {"max_queue_depth": 5000, "max_rerun_backlog": 500},
    "rate_limits": {"submissions_per_hour": 100, "reruns_per_minute": 10,
                    "default_per_hour": 1000, "critical_divisor": 10},
    # truth.md, Tracked links: repeat clicks within 30 minutes are duplicates.
    "tracking": {"dedupe_minutes": 30, "trusted_proxies": [], "claim_idle_seconds": 60},
    # truth.md, Anomalies on the platform's own numbers.
    "anomaly": {"velocity_factor": 10.0, "velocity_min_posts": 3,
                "velocity_min_hours": 1.0, "min_engagement_rate": 0.002,
                "min_views": 10000, "max_click_rate": 0.35, "click_rate_min_views": 100},
}


def test_the_shipped_defaults_are_the_numbers_of_domain_md():
    assert default_rules().as_dict() == DOMAIN_DEFAULTS


def test_no_path_means_the_defaults():
    assert load_rules(None) is default_rules()


def test_rules_read_as_attributes_and_mappings():
    rules = default_rules()
    assert rules.classification.absolute_tolerance["views"] == 10
    assert rules.trust.deltas["overclaim"] == -0.10
    assert rules.retry.missing.initial_delay_seconds == 1800
    assert rules.reverify.interval_hours["critical"] == 1


def test_the_effective_rules_serialise_to_json():
    assert json.loads(json.dumps(default_rules().as_dict())) == DOMAIN_DEFAULTS


def test_an_integer_for_a_fractional_setting_becomes_a_float():
    rules = rules_from_mapping({"trust": {"initial": 1}})
    assert rules.trust.initial == 1.0
    assert isinstance(rules.trust.initial, float)


@pytest.mark.parametrize(
    "mapping, key",
    [
        ({"classification": {"low_max_pct": 0.05}}, "classification.low_max_pct"),
        ({"classification": {"base_tolerance_pct": 0.1}}, "classification.low_max_pct"),
        ({"classification": {"medium_max_pct": 0.09}}, "classification.medium_max_pct"),
        ({"classification": {"overclaim_pct": 0}}, "classification.overclaim_pct"),
        ({"classification": {"overclaim_critical_pct": 0.19}},
         "classification.overclaim_critical_pct"),
        ({"trust": {"buckets": {"normal": 0.8}}}, "trust.buckets.normal"),
        ({"trust": {"buckets": {"low_trust": 0.5}}}, "trust.buckets.low_trust"),
        ({"trust": {"buckets": {"high_trust": 1.5}}}, "trust.buckets.high_trust"),
        ({"trust": {"initial": 1.5}}, "trust.initial"),
        ({"trust": {"deltas": {"overclaim": 0.1}}}, "trust.deltas.overclaim"),
        ({"trust": {"deltas": {"perfect_match": -0.01}}}, "trust.deltas.perfect_match"),
        ({"retry": {"missing": {"max_attempts": 0}}}, "retry.missing.max_attempts"),
        ({"fetch": {"max_attempts": 0}}, "fetch.max_attempts"),
        ({"breaker": {"fail_max": 0}}, "breaker.fail_max"),
        ({"quality": {"high_factor": 1.2}}, "quality.high_factor"),
        ({"rate_limits": {"critical_divisor": 0}}, "rate_limits.critical_divisor"),
        ({"reverify": {"live_days": 0}}, "reverify.live_days"),
        ({"reverify": {"live_interval_hours": 0}}, "reverify.live_interval_hours"),
        ({"reverify": {"calls_per_hour": {"youtube": 0}}}, "reverify.calls_per_hour.youtube"),
        ({"anomaly": {"velocity_factor": 0.5}}, "anomaly.velocity_factor"),
        ({"anomaly": {"min_engagement_rate": 1.5}}, "anomaly.min_engagement_rate"),
    ],
)
def test_out_of_order_thresholds_are_rejected_naming_the_key(mapping, key):
    with pytest.raises(RulesError, match=rf"^{key}: "):
        rules_from_mapping(mapping)


def test_equal_low_and_medium_tiers_are_allowed():
    rules = rules_from_mapping({"classification": {"low_max_pct": 0.2}})
    assert rules.classification.medium_max_pct == rules.classification.low_max_pct


def test_a_rules_error_is_a_value_error():
    assert issubclass(RulesError, ValueError)


def test_the_version_is_twelve_hex_characters_and_stable():
    version = default_rules().version
    assert len(version) == 12
    int(version, 16)
    assert rules_from_mapping({}).version == version


def test_the_version_changes_when_a_value_changes():
    changed = rules_from_mapping({"trust": {"deltas": {"overclaim": -0.2}}})
    assert changed.version != default_rules().version


def test_rules_are_frozen():
    rules: Rules = default_rules()
    with pytest.raises(AttributeError):
        rules.trust = None  # type: ignore[misc, assignment]
    with pytest.raises(TypeError):
        rules.classification.absolute_tolerance["views"] = 0  # type: ignore[index]

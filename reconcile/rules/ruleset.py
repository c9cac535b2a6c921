"""The rules file: every number of domain.md as frozen, validated data."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

from reconcile.rules._loading import RulesError, build, merge


@dataclass(frozen=True)
class ClassificationRules:
    base_tolerance_pct: float
    low_max_pct: float
    medium_max_pct: float
    overclaim_pct: float
    overclaim_critical_pct: float
    growth_per_hour_pct: float
    growth_cap_hours: float
    absolute_tolerance: Mapping[str, int]


@dataclass(frozen=True)
class TrustRules:
    initial: float
    deltas: Mapping[str, float]
    buckets: Mapping[str, float]


@dataclass(frozen=True)
class MissingRetryRules:
    initial_delay_seconds: int
    max_attempts: int
    window_hours: int
    jitter_pct: float
    disabled_recheck_seconds: int


@dataclass(frozen=True)
class IncompleteRetryRules:
    delay_seconds: int
    max_additional_attempts: int


@dataclass(frozen=True)
class FailedRetryRules:
    """A job whose run failed for a reason of its own (not the platform's): try again after
    delay_seconds x 2^(n-1), and quarantine it after max_tries failed runs."""

    max_tries: int
    delay_seconds: int


@dataclass(frozen=True)
class RetryRules:
    missing: MissingRetryRules
    incomplete: IncompleteRetryRules
    failed: FailedRetryRules


@dataclass(frozen=True)
class AlertRules:
    repeat_window_hours: int
    platform_down_escalation_minutes: int
    max_deliveries_per_window: int
    delivery_window_minutes: int


@dataclass(frozen=True)
class ReverifyRules:
    max_age_days: int
    sweep_interval_seconds: int
    interval_hours: Mapping[str, int]
    # Takedown monitoring (truth.md, Takedown): a verified post is re-visited for live_days
    # after verification (the rate card's live_days when it has one), and the sweep sends at
    # most calls_per_hour x sweep interval x the platform's batch size posts per platform.
    live_days: int
    live_interval_hours: int
    calls_per_hour: Mapping[str, int]


@dataclass(frozen=True)
class AnomalyRules:
    """Anomalies on the platform's own numbers (truth.md; reconcile.rules.anomaly)."""

    velocity_factor: float
    velocity_min_posts: int
    velocity_min_hours: float
    min_engagement_rate: float
    min_views: int
    max_click_rate: float
    click_rate_min_views: int


@dataclass(frozen=True)
class QualityRules:
    high_ctr: float
    high_ctr_min_views: int
    high_cvr: float
    high_cvr_min_clicks: int
    medium_factor: float
    high_factor: float
    missing_evidence_views: int
    decrease_pct: float
    spike_factor: float


@dataclass(frozen=True)
class BreakerRules:
    fail_max: int
    reset_timeout_seconds: int


@dataclass(frozen=True)
class FetchRules:
    timeout_seconds: float
    max_attempts: int
    backoff_base_seconds: float
    batch_wait_seconds: float


@dataclass(frozen=True)
class IntakeRules:
    max_queue_depth: int
    max_rerun_backlog: int


@dataclass(frozen=True)
class RateLimitRules:
    submissions_per_hour: int
    reruns_per_minute: int
    default_per_hour: int
    critical_divisor: int


@dataclass(frozen=True)
class TrackingRules:
    dedupe_minutes: int
    trusted_proxies: tuple[str, ...]
    claim_idle_seconds: int


@dataclass(frozen=True)
class Rules:
    classification: ClassificationRules
    trust: TrustRules
    retry: RetryRules
    alerts: AlertRules
    reverify: ReverifyRules
    quality: QualityRules
    breaker: BreakerRules
    fetch: FetchRules
    intake: IntakeRules
    rate_limits: RateLimitRules
    tracking: TrackingRules
    anomaly: AnomalyRules

    def as_dict(self) -> dict[str, Any]:
        """Return the effective rules as plain nested dicts (what `rules show` prints)."""
        return _plain(self)

    @cached_property
    def version(self) -> str:
        """Return a short hash of the effective rules, stored on every attempt."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


@cache
def _defaults_mapping() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def rules_from_mapping(mapping: Mapping[str, Any]) -> Rules:
    """Build rules from a partial mapping laid over the shipped defaults."""
    effective = merge(_defaults_mapping(), mapping, Rules, "")
    rules = build(Rules, effective)
    check_rules(rules)
    return rules


@cache
def default_rules() -> Rules:
    """Return the shipped defaults (built once)."""
    return rules_from_mapping({})


def load_rules(path: str | os.PathLike[str] | None = None) -> Rules:
    """Load a rules file over the defaults; None means the defaults alone."""
    if path is None:
        return default_rules()
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise RulesError(f"{name}: cannot read rules file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{name}: invalid TOML ({str(exc).splitlines()[0]})") from None
    return rules_from_mapping(data)


_PENALTIES = ("minor_discrepancy", "medium_discrepancy", "high_discrepancy", "overclaim")



def check_rules(rules: Rules) -> None:
    """Reject thresholds that are out of order, naming the first offending key."""
    c, t, q = rules.classification, rules.trust, rules.quality
    b, d = t.buckets, t.deltas
    checks: list[tuple[str, bool, str]] = [
        ("classification.low_max_pct", c.low_max_pct > c.base_tolerance_pct,
         "must be > base_tolerance_pct"),
        ("classification.medium_max_pct", c.medium_max_pct >= c.low_max_pct,
         "must be >= low_max_pct"),
        ("classification.overclaim_pct", c.overclaim_pct > 0, "must be > 0"),
        ("classification.overclaim_critical_pct", c.overclaim_critical_pct >= c.overclaim_pct,
         "must be >= overclaim_pct"),
        ("trust.initial", t.initial <= 1, "must be <= 1"),
        ("trust.buckets.high_trust", b["high_trust"] <= 1, "must be <= 1"),
        ("trust.buckets.normal", b["normal"] < b["high_trust"], "must be < high_trust"),
        ("trust.buckets.low_trust", b["low_trust"] < b["normal"], "must be < normal"),
        ("trust.deltas.perfect_match", 0 <= d["perfect_match"] <= 1, "must be in [0, 1]"),
        *((f"trust.deltas.{n}", -1 <= d[n] <= 0, "must be in [-1, 0]") for n in _PENALTIES),
        ("retry.missing.max_attempts", rules.retry.missing.max_attempts >= 1, "must be >= 1"),
        ("retry.missing.jitter_pct", rules.retry.missing.jitter_pct <= 1, "must be <= 1"),
        ("retry.failed.max_tries", rules.retry.failed.max_tries >= 1, "must be >= 1"),
        ("intake.max_rerun_backlog", rules.intake.max_rerun_backlog >= 1, "must be >= 1"),
        ("fetch.max_attempts", rules.fetch.max_attempts >= 1, "must be >= 1"),
        ("breaker.fail_max", rules.breaker.fail_max >= 1, "must be >= 1"),
        ("quality.medium_factor", q.medium_factor >= 1, "must be >= 1"),
        ("quality.high_factor", q.high_factor >= q.medium_factor, "must be >= medium_factor"),
        ("quality.spike_factor", q.spike_factor >= 1, "must be >= 1"),
        ("quality.decrease_pct", q.decrease_pct <= 1, "must be <= 1"),
        ("tracking.dedupe_minutes", rules.tracking.dedupe_minutes >= 1, "must be >= 1"),
        ("tracking.claim_idle_seconds", rules.tracking.claim_idle_seconds >= 1, "must be >= 1"),
        ("reverify.live_days", rules.reverify.live_days >= 1, "must be >= 1"),
        ("reverify.live_interval_hours", rules.reverify.live_interval_hours >= 1,
         "must be >= 1"),
        *((f"reverify.calls_per_hour.{p}", n >= 1, "must be >= 1")
          for p, n in rules.reverify.calls_per_hour.items()),
        ("anomaly.velocity_factor", rules.anomaly.velocity_factor >= 1, "must be >= 1"),
        ("anomaly.min_engagement_rate", rules.anomaly.min_engagement_rate <= 1,
         "must be <= 1"),
        ("rate_limits.critical_divisor", rules.rate_limits.critical_divisor >= 1, "must be >= 1"),
    ]
    for path, ok, message in checks:
        if not ok:
            raise RulesError(f"{path}: {message}")

"""Alert rules R1-R7: which alert an outcome raises, with what severity.

R1-R6 are domain.md's. R7 (JOB_QUARANTINED / DATA_QUALITY / MEDIUM, like R3) is ours: a
report whose job failed `retry.failed.max_tries` times for reasons of its own is put aside
for a person to look at (docs/reliability.md, Quarantine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconcile.rules.classification import Classification, Level, Status
from reconcile.rules.ruleset import AlertRules, ClassificationRules, TrustRules
from reconcile.rules.trust import crossed_into_critical

HIGH_DISCREPANCY = "HIGH_DISCREPANCY"
MISSING_DATA = "MISSING_DATA"
TRUST_THRESHOLD = "TRUST_THRESHOLD"
PLATFORM_OUTAGE = "PLATFORM_OUTAGE"
SUSPICIOUS_CLAIM = "SUSPICIOUS_CLAIM"
JOB_QUARANTINED = "JOB_QUARANTINED"
FRAUD, DATA_QUALITY, SYSTEM_HEALTH = "FRAUD", "DATA_QUALITY", "SYSTEM_HEALTH"


@dataclass(frozen=True)
class AlertSpec:
    rule: str
    type: str
    category: str
    severity: str
    title: str
    message: str
    threshold_breached: dict[str, Any] = field(default_factory=dict)


def _percent(pct: float) -> str:
    return f"{abs(pct) * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _worst_metric(result: Classification, *, signed: bool) -> tuple[str, float]:
    present = [(m, r.pct) for m, r in result.metrics.items() if r.pct is not None]
    return max(present, key=lambda item: item[1] if signed else abs(item[1]))


def _claim_message(breached: dict[str, Any]) -> str:
    # Views come from the platform; clicks and conversions from their campaign's source
    # (tracked link, the platform's link clicks, postbacks), named in the report.
    shown_by = "the platform shows" if breached["metric"] == "views" else "its source counted"
    return (f"Claimed {breached['claimed']} {breached['metric']}, "
            f"{shown_by} {breached['observed']}.")


def _evidence(result: Classification, metric: str) -> dict[str, Any]:
    r = result.metrics[metric]
    return {"metric": metric, "claimed": r.claimed, "observed": r.observed, "pct": r.pct}


def alerts_for_attempt(result: Classification, *, terminal: bool, missing_reason: str | None,
                       recent_high_discrepancy_same_platform: bool,
                       rules: ClassificationRules | None = None) -> list[AlertSpec]:
    """Return the alerts (R1-R3) one attempt's outcome raises; `rules` adds thresholds."""
    if result.status == Status.AFFILIATE_OVERCLAIMED:
        metric, pct = _worst_metric(result, signed=True)
        critical = result.level == Level.CRITICAL
        breached = _evidence(result, metric)
        if rules is not None:
            key = "overclaim_critical_pct" if critical else "overclaim_pct"
            breached[key] = getattr(rules, key)
        return [AlertSpec("R1", HIGH_DISCREPANCY, FRAUD, "CRITICAL" if critical else "HIGH",
                          f"Affiliate over-claimed {metric} by {_percent(pct)}",
                          _claim_message(breached), breached)]
    if result.status == Status.DISCREPANCY_HIGH:
        metric, pct = _worst_metric(result, signed=False)
        breached = _evidence(result, metric)
        if rules is not None:
            breached["medium_max_pct"] = rules.medium_max_pct
        repeat = recent_high_discrepancy_same_platform
        breached["repeat_on_platform"] = repeat
        direction = "under" if pct < 0 else "over"
        message = _claim_message(breached)
        if repeat:
            message += " The affiliate already had a high discrepancy on this platform recently."
        return [AlertSpec("R2", HIGH_DISCREPANCY, DATA_QUALITY, "CRITICAL" if repeat else "HIGH",
                          f"High discrepancy: {metric} {direction}-claimed by {_percent(pct)}",
                          message, breached)]
    if result.status == Status.MISSING_PLATFORM_DATA and terminal:
        return [missing_data_alert(missing_reason)]
    return []


def missing_data_alert(missing_reason: str | None) -> AlertSpec:
    """Return R3 for a report that ended without platform data (also after deferrals)."""
    reason = missing_reason or "unknown"
    return AlertSpec("R3", MISSING_DATA, SYSTEM_HEALTH,
                     "HIGH" if reason == "not_found" else "MEDIUM",
                     f"No platform data after all attempts ({reason})",
                     f"Reconciliation stopped without platform metrics; last reason: {reason}.",
                     {"missing_reason": reason})


def trust_threshold_alert(before: float, after: float, rules: TrustRules) -> AlertSpec | None:
    """Return R4 when a score change crosses into the critical bucket, else None."""
    if not crossed_into_critical(before, after, rules):
        return None
    floor = rules.buckets["low_trust"]
    return AlertSpec("R4", TRUST_THRESHOLD, FRAUD, "HIGH",
                     f"Affiliate trust fell to {after:.4g} (critical)",
                     f"Trust score moved from {before:.4g} to {after:.4g}, below {floor:.4g}.",
                     {"score_before": before, "score_after": after, "low_trust": floor})


def outage_alert(platform: str, open_for_minutes: float, rules: AlertRules) -> AlertSpec | None:
    """Return R5 when a platform's breaker has stayed open too long, else None."""
    limit = rules.platform_down_escalation_minutes
    if open_for_minutes <= limit:
        return None
    return AlertSpec("R5", PLATFORM_OUTAGE, SYSTEM_HEALTH, "HIGH",
                     f"{platform} has been unreachable for {open_for_minutes:.0f} minutes",
                     f"The {platform} breaker has stayed open for longer than {limit} minutes.",
                     {"platform": platform, "open_for_minutes": open_for_minutes,
                      "platform_down_escalation_minutes": limit})


def duplicate_claim_alert(url: str) -> AlertSpec:
    """Return R6 for a URL another affiliate already claimed."""
    return AlertSpec("R6", SUSPICIOUS_CLAIM, FRAUD, "HIGH",
                     "URL already claimed by another affiliate",
                     f"{url} was already submitted by another affiliate.", {"url": url})


def quarantine_alert(failures: int, last_failure: str) -> AlertSpec:
    """Return R7 for a report whose job was put aside after failing `failures` times."""
    return AlertSpec("R7", JOB_QUARANTINED, DATA_QUALITY, "MEDIUM",
                     f"Reconciliation quarantined after {failures} failed runs",
                     f"The report's job failed {failures} times for reasons of its own and will "
                     f"not be retried; last failure: {last_failure}. Fix the cause, then re-run "
                     f"it (POST /api/v1/reconciliation/run with force).",
                     {"failures": failures, "last_failure": last_failure})

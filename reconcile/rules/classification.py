"""Classify one attempt: claimed metrics against what the platform showed."""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from reconcile.rules.ruleset import ClassificationRules

METRICS = ("views", "clicks", "conversions")


class Status(enum.StrEnum):
    MATCHED = "MATCHED"
    DISCREPANCY_LOW = "DISCREPANCY_LOW"
    DISCREPANCY_MEDIUM = "DISCREPANCY_MEDIUM"
    DISCREPANCY_HIGH = "DISCREPANCY_HIGH"
    AFFILIATE_OVERCLAIMED = "AFFILIATE_OVERCLAIMED"
    INCOMPLETE_PLATFORM_DATA = "INCOMPLETE_PLATFORM_DATA"
    MISSING_PLATFORM_DATA = "MISSING_PLATFORM_DATA"
    PENDING = "PENDING"
    # Not an outcome of classification: the report's job kept failing for reasons of its own
    # and was put aside (terminal; R7). A forced re-run takes it up again.
    QUARANTINED = "QUARANTINED"


class Level(enum.StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True)
class MetricResult:
    claimed: int
    observed: int | None
    difference: int | None
    pct: float | None
    verifiable: bool = True  # False: no source measures it; it takes no part in the outcome


@dataclass(frozen=True)
class Classification:
    status: Status
    level: Level | None
    confidence: float
    metrics: dict[str, MetricResult]
    max_discrepancy_pct: float | None
    missing_fields: tuple[str, ...]


def _round(value: float) -> float:
    # Adding 0.0 turns a rounded -0.0 into 0.0 so stored values never read "-0.0".
    return round(value, 4) + 0.0


def metric_pct(claimed: int, observed: int, hours: float, tolerance: int,
               rules: ClassificationRules) -> float:
    """Return the signed discrepancy of one metric (positive: over-claim), rounded."""
    allowance = rules.growth_per_hour_pct * min(max(hours, 0.0), rules.growth_cap_hours)
    # Growth only lowers the bound below which a claim is an under-claim: the platform
    # number at fetch time already includes the growth, so it never excuses an over-claim.
    lower = observed / (1 + allowance)
    gap: float
    if claimed > observed:
        gap, pct = claimed - observed, (claimed - observed) / observed if observed else 1.0
    elif claimed < lower:
        gap, pct = lower - claimed, -(lower - claimed) / lower
    else:
        return 0.0
    return 0.0 if gap <= tolerance else _round(pct)


def classify(claimed: Mapping[str, int], observed: Mapping[str, int | None], hours: float,
             rules: ClassificationRules,
             verifiable: Collection[str] = METRICS) -> Classification:
    """Classify one attempt per domain.md, "Classification of one attempt".

    Only the `verifiable` metrics take part (truth.md, "Sources"): the others are neither
    compared nor missing, and confidence is the share of the verifiable ones observed.
    """
    metrics: dict[str, MetricResult] = {}
    for m in METRICS:
        seen = observed.get(m)
        if m not in verifiable:
            metrics[m] = MetricResult(claimed[m], None, None, None, verifiable=False)
        elif seen is None:
            metrics[m] = MetricResult(claimed[m], None, None, None)
        else:
            pct = metric_pct(claimed[m], seen, hours, rules.absolute_tolerance[m], rules)
            metrics[m] = MetricResult(claimed[m], seen, claimed[m] - seen, pct)
    counted = [m for m in METRICS if metrics[m].verifiable]
    missing = tuple(m for m in counted if metrics[m].pct is None)
    pcts = [r.pct for r in metrics.values() if r.pct is not None]
    worst = max((abs(p) for p in pcts), default=None)
    confidence = _round((len(counted) - len(missing)) / len(counted)) if counted else 0.0

    def result(status: Status, level: Level | None) -> Classification:
        return Classification(status, level, confidence, metrics, worst, missing)

    if not pcts:
        return result(Status.MISSING_PLATFORM_DATA, None)
    top = max(pcts)
    if top >= rules.overclaim_critical_pct:
        # Partial data never hides a blatant over-claim.
        return result(Status.AFFILIATE_OVERCLAIMED, Level.CRITICAL)
    if missing:
        return result(Status.INCOMPLETE_PLATFORM_DATA, None)
    if top >= rules.overclaim_pct:
        return result(Status.AFFILIATE_OVERCLAIMED, Level.HIGH)
    assert worst is not None
    if worst <= rules.base_tolerance_pct:
        return result(Status.MATCHED, None)
    if worst <= rules.low_max_pct:
        return result(Status.DISCREPANCY_LOW, Level.LOW)
    if worst <= rules.medium_max_pct:
        return result(Status.DISCREPANCY_MEDIUM, Level.MEDIUM)
    return result(Status.DISCREPANCY_HIGH, Level.HIGH)

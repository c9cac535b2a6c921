"""Suspicion flags raised at submission; they never reject a report."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass

from reconcile.rules.classification import METRICS
from reconcile.rules.ruleset import QualityRules

LOW, MEDIUM, HIGH = "LOW", "MEDIUM", "HIGH"


@dataclass(frozen=True)
class Flag:
    name: str
    severity: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        """Return the flag as it is stored and returned to the submitter."""
        return asdict(self)


def _scaled(ratio: float, threshold: float, rules: QualityRules) -> str:
    # Rounding the scaled threshold keeps 1.5 x 0.35 at 0.525 instead of 0.52499999...
    if ratio >= round(threshold * rules.high_factor, 10):
        return HIGH
    if ratio >= round(threshold * rules.medium_factor, 10):
        return MEDIUM
    return LOW


def _ratio_flags(claimed: Mapping[str, int], rules: QualityRules) -> list[Flag]:
    views, clicks, conversions = (claimed[m] for m in METRICS)
    flags = []
    if views >= rules.high_ctr_min_views and clicks / views > rules.high_ctr:
        ctr = clicks / views
        flags.append(Flag("high_ctr", _scaled(ctr, rules.high_ctr, rules),
                          f"click-through rate {ctr:.2%} is above {rules.high_ctr:.0%}"))
    if clicks >= rules.high_cvr_min_clicks and conversions / clicks > rules.high_cvr:
        cvr = conversions / clicks
        flags.append(Flag("high_cvr", _scaled(cvr, rules.high_cvr, rules),
                          f"conversion rate {cvr:.2%} is above {rules.high_cvr:.0%}"))
    return flags


def _update_flags(claimed: Mapping[str, int], previous: Mapping[str, int],
                  rules: QualityRules) -> list[Flag]:
    pairs = [(m, claimed[m], previous[m]) for m in METRICS]
    flags = [Flag(f"{m}_decrease", LOW, f"{m} fell from {before} to {now}")
             for m, now, before in pairs if before - now > before * rules.decrease_pct]
    # A previous value of 0 gives no base to measure growth against.
    flags += [Flag(f"{m}_spike", HIGH, f"{m} jumped from {before} to {now}")
              for m, now, before in pairs if before > 0 and now > before * rules.spike_factor]
    return flags


def unverifiable_claim(claimed: Mapping[str, int], unverifiable: Collection[str]) -> list[Flag]:
    """Flag non-zero claims on metrics that no source measures (truth.md, "Sources")."""
    named = [f"{m} {claimed[m]}" for m in METRICS if m in unverifiable and claimed[m] > 0]
    if not named:
        return []
    return [Flag("unverifiable_claim", LOW,
                 f"{', '.join(named)} claimed, but no source measures them for this post")]


def suspicion_flags(claimed: Mapping[str, int], *, evidence: str | None,
                    previous: Mapping[str, int] | None, duplicate_claim: bool,
                    rules: QualityRules, unverifiable: Collection[str] = ()) -> list[Flag]:
    """Return the submission checks a claim trips, in domain.md's table order."""
    views, clicks, conversions = (claimed[m] for m in METRICS)
    flags = _ratio_flags(claimed, rules)
    if not views >= clicks >= conversions:
        flags.append(Flag("metric_order_violation", MEDIUM,
                          f"expected views >= clicks >= conversions, got "
                          f"{views}, {clicks}, {conversions}"))
    if views >= rules.missing_evidence_views and not (evidence and evidence.strip()):
        flags.append(Flag("missing_evidence", MEDIUM,
                          f"{views} views claimed without evidence"))
    if previous is not None:
        flags.extend(_update_flags(claimed, previous, rules))
    if duplicate_claim:
        flags.append(Flag("duplicate_claim", HIGH,
                          "another affiliate already claimed this URL"))
    flags.extend(unverifiable_claim(claimed, unverifiable))
    return flags


def priority_for(flags: Iterable[Flag]) -> str:
    """Return the reconciliation priority a submission's flags call for."""
    return "high" if any(f.severity == HIGH for f in flags) else "normal"

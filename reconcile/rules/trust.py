"""Trust events, buckets and the ledger rows one report's outcome produces."""

from __future__ import annotations

from dataclasses import dataclass

from reconcile.rules.classification import Status
from reconcile.rules.ruleset import TrustRules

REVERSAL_PREFIX = "reversal:"
CRITICAL = "critical"
# The trust buckets, highest first: every one but the last has an inclusive lower threshold
# in the rules (trust.buckets).
BUCKETS = ("high_trust", "normal", "low_trust", CRITICAL)

_EVENTS: dict[str, str] = {
    Status.MATCHED: "perfect_match",
    Status.DISCREPANCY_LOW: "minor_discrepancy",
    Status.DISCREPANCY_MEDIUM: "medium_discrepancy",
    Status.DISCREPANCY_HIGH: "high_discrepancy",
    Status.AFFILIATE_OVERCLAIMED: "overclaim",
}


@dataclass(frozen=True)
class LedgerEntry:
    event: str
    delta: float
    score_after: float
    reverses: bool


def event_for(status: str) -> str | None:
    """Return the trust event an outcome causes, or None when it moves no trust."""
    return _EVENTS.get(str(status))


def bucket_for(score: float, rules: TrustRules) -> str:
    """Return the bucket a score falls in; each threshold is inclusive."""
    for name in BUCKETS[:-1]:
        if score >= rules.buckets[name]:
            return name
    return CRITICAL


def crossed_into_critical(before: float, after: float, rules: TrustRules) -> bool:
    """Tell whether a score change moved the affiliate into the critical bucket."""
    return bucket_for(before, rules) != CRITICAL and bucket_for(after, rules) == CRITICAL


def _entry(score: float, event: str, delta: float, reverses: bool) -> LedgerEntry:
    after = min(1.0, max(0.0, round(score + delta, 4)))
    # The ledger records the effective delta so that summing it reproduces the score.
    return LedgerEntry(event, round(after - score, 4) + 0.0, after, reverses)


def plan_effect(score: float, current_effect: tuple[str, float] | None, status: str,
                rules: TrustRules) -> list[LedgerEntry]:
    """Plan the ledger rows that make a report's trust effect match its new outcome.

    `current_effect` is the report's standing (event, effective delta), or None. A report
    moves trust at most once: the same outcome adds nothing, a changed outcome reverses the
    old effect and applies the new one, and an outcome without an event (missing or
    incomplete data) keeps whatever was already verified.
    """
    event = event_for(status)
    if event is None or (current_effect is not None and current_effect[0] == event):
        return []
    entries: list[LedgerEntry] = []
    if current_effect is not None:
        old_event, old_delta = current_effect
        entries.append(_entry(score, REVERSAL_PREFIX + old_event, -old_delta, True))
        score = entries[-1].score_after
    entries.append(_entry(score, event, rules.deltas[event], False))
    return entries

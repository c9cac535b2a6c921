"""What a post earns under a rate card, and which flags hold its earnings (earnings.md).

Pure arithmetic over plain data. Money is an integer in minor units; the only fractions
(a CPM rate per view, a percentage of a conversion's amount) are Decimal, and a post's
amount is rounded once, half to even, before the cap applies. A ledger entry is the
difference of two such integers, so each entry is rounded exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

# Flags on a post's latest report that hold its earnings (truth.md, "The post itself"):
# the submission checks of HIGH severity that point at fraud, and the ownership and
# eligibility flags (raised by the fraud checks, issue 18). Any other flag raised at HIGH
# severity holds too (a high_ctr of HIGH severity, say): see `holding_flags`.
HOLDING_FLAGS = frozenset({
    "duplicate_claim", "views_spike", "clicks_spike", "conversions_spike",
    "not_owner", "outside_campaign_window", "missing_disclosure",
})
# A report whose latest status is one of these earns the rate card's flat fee.
FLAT_STATUSES = frozenset({"MATCHED", "DISCREPANCY_LOW"})
THOUSAND = Decimal(1000)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Milestone:
    views: int
    bonus_minor: int


@dataclass(frozen=True)
class RateCard:
    """One version of a campaign's rate card; every amount in `currency`'s minor unit."""

    currency: str
    version: int = 1
    cpm_minor: int | None = None
    cpc_minor: int | None = None
    cpa_minor: int | None = None
    cpa_percent: Decimal | None = None
    flat_minor: int | None = None
    milestones: tuple[Milestone, ...] = ()
    cap_per_post_minor: int | None = None
    budget_minor: int | None = None
    validation_days: int = 14
    live_days: int = 30


@dataclass(frozen=True)
class Billable:
    """A post's billable numbers: min(claimed, verified) per verifiable metric, None for a
    metric no source verifies; the amounts of its billable conversions (for cpa_percent);
    and the status of its latest terminal report (for the flat fee)."""

    views: int | None = None
    clicks: int | None = None
    conversions: int | None = None
    conversion_amounts_minor: int = 0
    status: str | None = None


@dataclass(frozen=True)
class Earned:
    amount_minor: int
    parts: dict[str, str] = field(default_factory=dict)  # what each part came to, for `reason`


def billable(claimed: int, verified: int | None) -> int | None:
    """The billable number of a metric: the verified one, never more than the claim."""
    if verified is None:
        return None
    return max(0, min(claimed, verified))


def round_minor(value: Decimal) -> int:
    """Round to a whole minor unit, half to even (banker's rounding)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def earned(card: RateCard, numbers: Billable) -> Earned:
    """What the numbers earn under the card: the sum of its parts, rounded once, capped."""
    parts: dict[str, Decimal] = {}
    if card.cpm_minor and numbers.views:
        parts["cpm"] = Decimal(numbers.views) * card.cpm_minor / THOUSAND
    if card.cpc_minor and numbers.clicks:
        parts["cpc"] = Decimal(numbers.clicks * card.cpc_minor)
    if card.cpa_minor and numbers.conversions:
        parts["cpa"] = Decimal(numbers.conversions * card.cpa_minor)
    if card.cpa_percent and numbers.conversions:
        parts["cpa_percent"] = Decimal(numbers.conversion_amounts_minor) * card.cpa_percent \
            / HUNDRED
    if card.flat_minor and numbers.status in FLAT_STATUSES:
        parts["flat"] = Decimal(card.flat_minor)
    reached = [m.bonus_minor for m in card.milestones
               if numbers.views is not None and numbers.views >= m.views]
    if reached:
        parts["milestones"] = Decimal(sum(reached))
    amount = round_minor(sum(parts.values(), Decimal(0)))
    if card.cap_per_post_minor is not None and amount > card.cap_per_post_minor:
        parts["cap"] = Decimal(card.cap_per_post_minor - amount)
        amount = card.cap_per_post_minor
    return Earned(amount, {k: format(v.normalize(), "f") for k, v in parts.items()})


def holding_flags(flags: Iterable[Mapping[str, Any]]) -> list[str]:
    """The names of a report's flags that hold its post's earnings."""
    return sorted({str(f.get("name")) for f in flags
                   if f.get("name") in HOLDING_FLAGS or f.get("severity") == "HIGH"})


@dataclass(frozen=True)
class Split:
    """How a change to a post's total is written: each (kind, amount, status) in order."""

    rows: tuple[tuple[str, int, str], ...]


def split_change(delta: int, *, room: int | None, over_budget: int, unpaid: int,
                 held: bool, pending: bool) -> Split:
    """Split a post's change into ledger rows (earnings.md, Status).

    A rise fills the campaign's remaining budget (`room`; None: no budget) and the rest is
    `over_budget`. A fall first takes back the post's over-budget money, then its unpaid
    money (a `reversal` that follows the post's unpaid entries: held, pending or approved),
    and the rest is a `clawback` of money already paid, approved at once so that the next
    payout nets it.
    """
    rows: list[tuple[str, int, str]] = []
    normal = "held" if held else "pending"
    if delta > 0:
        inside = delta if room is None else max(0, min(delta, room))
        if inside:
            rows.append(("earning", inside, normal))
        if delta - inside:
            rows.append(("earning", delta - inside, "over_budget"))
        return Split(tuple(rows))
    left = -delta
    for kind, available, status in (
        ("reversal", over_budget, "over_budget"),
        ("reversal", unpaid, "held" if held else ("pending" if pending else "approved")),
    ):
        take = min(left, max(available, 0))
        if take:
            rows.append((kind, -take, status))
            left -= take
    if left:
        rows.append(("clawback", -left, "approved"))
    return Split(tuple(rows))

"""What a post earns under a rate card, rounding, holding flags, and how a change is split
into ledger rows (docs/earnings.md)."""

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from reconcile.rules.earnings import (
    HOLDING_FLAGS,
    Billable,
    Milestone,
    RateCard,
    billable,
    earned,
    holding_flags,
    round_minor,
    split_change,
)


@pytest.mark.parametrize("claimed, verified, expected", [
    (1200, 1000, 1000), (800, 1000, 800), (1000, 1000, 1000), (5, None, None), (0, 7, 0),
])
def test_billable_is_the_smaller_of_claim_and_verified_and_unverifiable_earns_nothing(
        claimed, verified, expected):
    assert billable(claimed, verified) == expected


@pytest.mark.parametrize("value, expected", [
    ("100.5", 100), ("101.5", 102), ("201.5", 202), ("0.5", 0), ("1.5", 2), ("2.4999", 2),
    ("2.5001", 3),
])
def test_rounding_is_half_to_even(value, expected):
    assert round_minor(Decimal(value)) == expected


@pytest.mark.parametrize("card, numbers, amount", [
    (RateCard("USD", cpm_minor=2000), Billable(views=1000), 2000),
    (RateCard("USD", cpm_minor=333), Billable(views=1500), 500),  # 499.5 -> 500 (even)
    (RateCard("USD", cpm_minor=333), Billable(views=500), 166),  # 166.5 -> 166 (even)
    (RateCard("USD", cpc_minor=50), Billable(views=10, clicks=10), 500),
    (RateCard("USD", cpc_minor=50), Billable(views=10, clicks=None), 0),
    (RateCard("USD", cpa_minor=500), Billable(conversions=3), 1500),
    (RateCard("USD", cpa_percent=Decimal("10")),
     Billable(conversions=2, conversion_amounts_minor=2015), 202),
    (RateCard("USD", cpa_percent=Decimal("12.5")),
     Billable(conversions=0, conversion_amounts_minor=2015), 0),
    (RateCard("USD", flat_minor=5000), Billable(views=1, status="MATCHED"), 5000),
    (RateCard("USD", flat_minor=5000), Billable(views=1, status="DISCREPANCY_LOW"), 5000),
    (RateCard("USD", flat_minor=5000), Billable(views=1, status="AFFILIATE_OVERCLAIMED"), 0),
    (RateCard("USD", milestones=(Milestone(1000, 700), Milestone(5000, 2500))),
     Billable(views=4999), 700),
    (RateCard("USD", milestones=(Milestone(1000, 700), Milestone(5000, 2500))),
     Billable(views=5000), 3200),
    (RateCard("USD", cpm_minor=2000, cap_per_post_minor=1500), Billable(views=1000), 1500),
    # Parts add up before the one rounding: 0.5 + 0.5 = 1, not 0 + 0.
    (RateCard("USD", cpm_minor=1, cpa_percent=Decimal("50")),
     Billable(views=500, conversions=1, conversion_amounts_minor=1), 1),
])
def test_each_rate_card_shape_earns_what_the_docs_say(card, numbers, amount):
    assert earned(card, numbers).amount_minor == amount


def test_holding_flags_are_the_named_ones_and_any_of_high_severity():
    assert {"not_owner", "outside_campaign_window", "missing_disclosure",
            "duplicate_claim"} <= HOLDING_FLAGS
    flags = [{"name": "missing_evidence", "severity": "MEDIUM"},
             {"name": "high_ctr", "severity": "HIGH"},
             {"name": "missing_disclosure", "severity": "MEDIUM"},
             {"name": "unverifiable_claim", "severity": "LOW"}]
    assert holding_flags(flags) == ["high_ctr", "missing_disclosure"]
    assert holding_flags([{"name": "views_decrease", "severity": "LOW"}]) == []


@pytest.mark.parametrize("delta, room, over, unpaid, held, pending, rows", [
    (1000, None, 0, 0, False, False, (("earning", 1000, "pending"),)),
    (1000, None, 0, 0, True, False, (("earning", 1000, "held"),)),
    (1000, 600, 0, 0, False, False, (("earning", 600, "pending"),
                                     ("earning", 400, "over_budget"))),
    (1000, 0, 0, 0, False, False, (("earning", 1000, "over_budget"),)),
    (-500, None, 0, 2000, False, True, (("reversal", -500, "pending"),)),
    (-500, None, 0, 2000, False, False, (("reversal", -500, "approved"),)),
    (-500, None, 0, 2000, True, True, (("reversal", -500, "held"),)),
    (-2000, None, 0, 0, False, False, (("clawback", -2000, "approved"),)),
    (-1500, None, 500, 600, False, True, (("reversal", -500, "over_budget"),
                                          ("reversal", -600, "pending"),
                                          ("clawback", -400, "approved"))),
])
def test_a_change_is_split_into_ledger_rows(delta, room, over, unpaid, held, pending, rows):
    split = split_change(delta, room=room, over_budget=over, unpaid=unpaid, held=held,
                         pending=pending)
    assert split.rows == rows


MONEY = st.integers(min_value=0, max_value=10**9)


@given(delta=st.integers(-10**9, 10**9).filter(bool), room=st.none() | MONEY, over=MONEY,
       unpaid=MONEY, held=st.booleans(), pending=st.booleans())
def test_a_split_always_adds_up_to_the_change_in_exact_integers(delta, room, over, unpaid,
                                                               held, pending):
    split = split_change(delta, room=room, over_budget=over, unpaid=unpaid, held=held,
                         pending=pending)
    assert sum(amount for _, amount, _ in split.rows) == delta
    assert all(type(amount) is int and amount != 0 for _, amount, _ in split.rows)
    assert all((amount > 0) == (delta > 0) for _, amount, _ in split.rows)
    committed = sum(a for _, a, s in split.rows if s != "over_budget" and a > 0)
    assert room is None or committed <= room


CARDS = st.builds(
    RateCard, currency=st.just("USD"),
    cpm_minor=st.none() | st.integers(0, 10**6), cpc_minor=st.none() | st.integers(0, 10**5),
    cpa_minor=st.none() | st.integers(0, 10**6),
    cpa_percent=st.none() | st.decimals(0, 100, places=4),
    flat_minor=st.none() | st.integers(0, 10**6),
    milestones=st.lists(st.builds(Milestone, st.integers(1, 10**7), st.integers(0, 10**6)),
                        max_size=3).map(tuple),
    cap_per_post_minor=st.none() | st.integers(0, 10**8),
)
NUMBERS = st.builds(
    Billable, views=st.none() | st.integers(0, 10**8), clicks=st.none() | st.integers(0, 10**6),
    conversions=st.none() | st.integers(0, 10**4),
    conversion_amounts_minor=st.integers(0, 10**9),
    status=st.sampled_from(["MATCHED", "DISCREPANCY_LOW", "DISCREPANCY_HIGH", None]),
)


@given(card=CARDS, numbers=NUMBERS)
def test_a_post_earns_an_exact_non_negative_integer_within_its_cap(card, numbers):
    amount = earned(card, numbers).amount_minor
    assert type(amount) is int and amount >= 0
    assert card.cap_per_post_minor is None or amount <= card.cap_per_post_minor


@given(card=CARDS, numbers=NUMBERS, more=st.integers(0, 10**6))
def test_more_verified_views_never_earn_less(card, numbers, more):
    assume(numbers.views is not None)
    bigger = Billable(numbers.views + more, numbers.clicks, numbers.conversions,
                      numbers.conversion_amounts_minor, numbers.status)
    assert earned(card, bigger).amount_minor >= earned(card, numbers).amount_minor

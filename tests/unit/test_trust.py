"""Trust score: events, buckets, and a report moving trust at most once."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.rules import (
    LedgerEntry,
    Status,
    bucket_for,
    crossed_into_critical,
    default_rules,
    event_for,
    plan_effect,
)

RULES = default_rules().trust

TRUST_TABLE = [
    (Status.MATCHED, "perfect_match", 0.01),
    (Status.DISCREPANCY_LOW, "minor_discrepancy", -0.01),
    (Status.DISCREPANCY_MEDIUM, "medium_discrepancy", -0.03),
    (Status.DISCREPANCY_HIGH, "high_discrepancy", -0.05),
    (Status.AFFILIATE_OVERCLAIMED, "overclaim", -0.10),
    (Status.MISSING_PLATFORM_DATA, None, 0),
    (Status.INCOMPLETE_PLATFORM_DATA, None, 0),
]
EVENTFUL = [row[0] for row in TRUST_TABLE if row[1] is not None]


@pytest.mark.parametrize("status, event, delta", TRUST_TABLE, ids=[r[0] for r in TRUST_TABLE])
def test_each_outcome_causes_its_trust_event_with_the_default_delta(status, event, delta):
    assert event_for(status) == event
    entries = plan_effect(0.5, None, status, RULES)
    if event is None:
        assert entries == []
    else:
        assert entries == [LedgerEntry(event, delta, round(0.5 + delta, 4), False)]


def test_event_for_accepts_a_plain_string_status():
    assert event_for("MATCHED") == "perfect_match"
    assert event_for("PENDING") is None


def test_an_affiliate_starts_at_one_half():
    assert RULES.initial == 0.5


@pytest.mark.parametrize(
    "score, bucket",
    [
        (1.0, "high_trust"), (0.75, "high_trust"), (0.7499, "normal"), (0.5, "normal"),
        (0.4999, "low_trust"), (0.25, "low_trust"), (0.2499, "critical"), (0.0, "critical"),
    ],
)
def test_buckets_include_their_lower_boundary(score, bucket):
    assert bucket_for(score, RULES) == bucket


def test_the_delta_is_clamped_at_the_top_and_the_effective_delta_is_recorded():
    assert plan_effect(0.995, None, Status.MATCHED, RULES) == [
        LedgerEntry("perfect_match", 0.005, 1.0, False)
    ]


def test_the_delta_is_clamped_at_the_bottom_and_the_effective_delta_is_recorded():
    assert plan_effect(0.04, None, Status.AFFILIATE_OVERCLAIMED, RULES) == [
        LedgerEntry("overclaim", -0.04, 0.0, False)
    ]


def test_a_rerun_with_the_same_outcome_adds_no_second_effect():
    assert plan_effect(0.51, ("perfect_match", 0.01), Status.MATCHED, RULES) == []


def test_a_changed_outcome_reverses_the_old_effect_then_applies_the_new_one():
    entries = plan_effect(0.51, ("perfect_match", 0.01), Status.AFFILIATE_OVERCLAIMED, RULES)
    assert entries == [
        LedgerEntry("reversal:perfect_match", -0.01, 0.5, True),
        LedgerEntry("overclaim", -0.1, 0.4, False),
    ]


def test_a_reversal_undoes_the_effective_not_the_nominal_delta():
    # The overclaim only moved the score by -0.04 (clamped at 0), so reversing adds 0.04.
    entries = plan_effect(0.0, ("overclaim", -0.04), Status.MATCHED, RULES)
    assert entries == [
        LedgerEntry("reversal:overclaim", 0.04, 0.04, True),
        LedgerEntry("perfect_match", 0.01, 0.05, False),
    ]


@pytest.mark.parametrize("status", [Status.MISSING_PLATFORM_DATA, Status.INCOMPLETE_PLATFORM_DATA])
def test_data_going_missing_later_keeps_the_verified_effect(status):
    assert plan_effect(0.51, ("perfect_match", 0.01), status, RULES) == []


@pytest.mark.parametrize(
    "before, after, crossed",
    [(0.26, 0.24, True), (0.25, 0.2499, True), (0.3, 0.25, False), (0.2, 0.1, False),
     (0.24, 0.26, False)],
)
def test_crossing_into_critical_happens_only_on_the_way_down_across_low_trust(
    before, after, crossed
):
    assert crossed_into_critical(before, after, RULES) is crossed


def _no_effects() -> dict[int, tuple[str, float]]:
    return {}


def _apply(score, effects, report, status):
    """Apply one outcome of one report, as the service does with the ledger rows."""
    entries = plan_effect(score, effects.get(report), status, RULES)
    for entry in entries:
        score = entry.score_after
        if not entry.reverses:
            effects[report] = (entry.event, entry.delta)
    return score, entries


statuses = st.sampled_from(list(Status))


@given(st.lists(st.tuples(st.integers(0, 20), statuses), max_size=200),
       st.floats(min_value=0, max_value=1))
def test_trust_stays_between_zero_and_one_for_any_sequence_of_outcomes(outcomes, start):
    score = round(start, 4)
    effects: dict[int, tuple[str, float]] = {}
    for report, status in outcomes:
        score, entries = _apply(score, effects, report, status)
        assert 0.0 <= score <= 1.0
        for entry in entries:
            assert 0.0 <= entry.score_after <= 1.0


@given(st.lists(st.tuples(st.integers(0, 5), statuses), max_size=50), st.integers(0, 5), statuses)
def test_applying_the_same_outcome_twice_equals_applying_it_once(history, report, status):
    score, effects = 0.5, _no_effects()
    for r, s in history:
        score, _ = _apply(score, effects, r, s)
    once, _ = _apply(score, effects, report, status)
    twice, entries = _apply(once, effects, report, status)
    assert twice == once
    assert entries == []


@given(st.floats(min_value=0, max_value=1), st.sampled_from(EVENTFUL))
def test_plan_effect_with_an_unchanged_outcome_returns_nothing(score, status):
    event = event_for(status)
    assert event is not None
    assert plan_effect(score, (event, RULES.deltas[event]), status, RULES) == []


@given(st.lists(st.lists(statuses, min_size=1, max_size=6), min_size=1, max_size=4),
       st.randoms(use_true_random=False))
def test_the_final_score_does_not_depend_on_how_reports_interleave(per_report, rnd):
    # Clamping makes order matter once a score touches 0 or 1 (a clamped delta is smaller,
    # and its reversal then restores less). A report holds at most one effect of at most
    # 0.10 at a time, so four reports starting at 0.50 stay within [0.10, 0.90]: no clamping,
    # and the interleaving must not matter.
    steps = [(report, status) for report, seq in enumerate(per_report) for status in seq]
    sequential, effects = 0.5, _no_effects()
    for report, status in steps:
        sequential, _ = _apply(sequential, effects, report, status)

    queues = [list(seq) for seq in per_report]
    interleaved, effects = 0.5, _no_effects()
    while any(queues):
        report = rnd.choice([i for i, q in enumerate(queues) if q])
        interleaved, _ = _apply(interleaved, effects, report, queues[report].pop(0))

    expected = round(0.5 + sum(delta for _, delta in effects.values()), 4)
    assert interleaved == sequential == expected


def test_reports_with_one_outcome_each_give_the_same_score_in_every_order():
    outcomes = [Status.MATCHED, Status.DISCREPANCY_HIGH, Status.AFFILIATE_OVERCLAIMED,
                Status.DISCREPANCY_LOW]
    finals = set()
    for order in itertools.permutations(range(len(outcomes))):
        score, effects = 0.5, _no_effects()
        for report in order:
            score, _ = _apply(score, effects, report, outcomes[report])
        finals.add(score)
    assert finals == {0.35}


def test_clamping_makes_order_matter_at_the_bounds():
    # Why the order-independence property above is restricted to scores that never clamp.
    def run(order):
        score, effects = 0.05, _no_effects()
        for report, status in order:
            score, _ = _apply(score, effects, report, status)
        return score

    over_first = run([(1, Status.AFFILIATE_OVERCLAIMED), (2, Status.MATCHED)])
    match_first = run([(2, Status.MATCHED), (1, Status.AFFILIATE_OVERCLAIMED)])
    assert (over_first, match_first) == (0.01, 0.0)


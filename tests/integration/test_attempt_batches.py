"""A batch of attempts commits together, yet each attempt keeps its own outcome.

The platform's answers are fixed in memory (every post shows TRUTH), so the claims alone
decide the outcomes and the tests measure the batch's reads and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import User
from reconcile.platforms.fetching import FetchOutcome
from reconcile.services.reconciliation.attempts import Job, run_attempt, run_attempts
from reconcile.services.reconciliation.targets import load_targets
from tests.conftest import requires_postgres
from tests.integration.flows import alerts, attempts, ledger, post_url, submit_claim, trust

TRUTH = {"views": 1000, "likes": 50, "comments": 5}  # what the platform reports
MATCHED, HIGH, OVERCLAIM = (1000, 50, 5), (700, 50, 5), (1600, 50, 5)


@pytest.fixture
def platform_shows_truth() -> ShowsTruth:
    """Every post shows TRUTH; the fake platform keeps one list of post ids per call."""
    return ShowsTruth()


class ShowsTruth(list[Sequence[str]]):
    """A fake platform fetch (pass it as `fetch=`) that records its calls."""

    def __call__(self, platform: str, post_ids: Sequence[str]) -> dict[str, FetchOutcome]:
        self.append(post_ids)
        return {pid: FetchOutcome(metrics=dict(TRUTH)) for pid in post_ids}


def _reports(world: Any, affiliate: dict[str, Any], platform: str,
             claims: Sequence[tuple[int, int, int]]) -> list[int]:
    return [submit_claim(world, affiliate, platform, post_url(platform), claim)
            for claim in claims]


def _rules_and_severities(report_id: int) -> list[tuple[str, str]]:
    return [(a.rule, a.severity) for a in alerts(report_id)]


def test_a_duplicate_delivery_in_a_batch_is_a_no_op_and_the_rest_of_the_batch_commits(
    world: Any, dispatched: Any,
) -> None:
    affiliate = world.new_affiliate()
    first, twin, last = _reports(world, affiliate, "youtube", [MATCHED, OVERCLAIM, MATCHED])
    twin_ran: list[str | None] = []
    fetches = 0

    def fetch(platform: str, post_ids: Sequence[str]) -> dict[str, FetchOutcome]:
        nonlocal fetches
        fetches += 1
        if fetches == 1:
            # Another worker delivers the same attempt and commits it while this batch
            # fetches: the batch's commit meets its attempt row.
            twin_ran.append(run_attempt(Job(twin, 1), fetch=fetch))
        return {pid: FetchOutcome(metrics=dict(TRUTH)) for pid in post_ids}


    results = run_attempts([Job(first, 1), Job(twin, 1), Job(last, 1)], fetch=fetch)

    assert twin_ran == ["AFFILIATE_OVERCLAIMED"]
    assert results == ["MATCHED", None, "MATCHED"]
    assert [len(attempts(r)) for r in (first, twin, last)] == [1, 1, 1]
    assert [[row.event for row in ledger(r)] for r in (first, twin, last)] == [
        ["perfect_match"], ["overclaim"], ["perfect_match"]]
    assert [rule for rule, _ in _rules_and_severities(twin)] == ["R1"]
    assert trust(affiliate["id"]) == pytest.approx(0.5 - 0.1 + 0.01 + 0.01)


def test_the_same_attempt_twice_in_one_batch_has_one_effect(
    world: Any, dispatched: Any, platform_shows_truth: Any,
) -> None:
    affiliate = world.new_affiliate()
    [report] = _reports(world, affiliate, "tiktok", [OVERCLAIM])

    results = run_attempts([Job(report, 1), Job(report, 1)], fetch=platform_shows_truth)
    assert results == ["AFFILIATE_OVERCLAIMED", None]
    assert len(attempts(report)) == len(ledger(report)) == len(alerts(report)) == 1
    assert trust(affiliate["id"]) == pytest.approx(0.40)


def test_a_second_high_discrepancy_in_the_same_batch_and_platform_is_a_repeat(
    world: Any, dispatched: Any, platform_shows_truth: Any,
) -> None:
    affiliate, other = world.new_affiliate(), world.new_affiliate()
    x_first, x_second = _reports(world, affiliate, "x", [HIGH, HIGH])
    [on_reddit] = _reports(world, affiliate, "reddit", [HIGH])
    [others] = _reports(world, other, "x", [HIGH])

    results = run_attempts([Job(r, 1) for r in (x_first, on_reddit, others, x_second)],
                           fetch=platform_shows_truth)

    assert results == ["DISCREPANCY_HIGH"] * 4
    assert [_rules_and_severities(r) for r in (x_first, x_second, on_reddit, others)] == [
        [("R2", "HIGH")],
        [("R2", "CRITICAL")],  # the first one's alert, raised in this batch, counts
        [("R2", "HIGH")],  # another platform
        [("R2", "HIGH")],  # another affiliate
    ]
    (repeat,) = alerts(x_second)
    assert repeat.threshold_breached["repeat_on_platform"] is True


def test_a_batch_mixing_platforms_and_affiliates_moves_each_affiliates_trust_in_order(
    world: Any, dispatched: Any, platform_shows_truth: Any,
) -> None:
    steady, falling = world.new_affiliate(), world.new_affiliate()
    with unit_of_work() as uow:
        uow.session.get(User, falling["id"]).trust_score = 0.30
    jobs = []
    for platform in ("youtube", "instagram", "x"):
        jobs += _reports(world, steady, platform, [MATCHED])
        jobs += _reports(world, falling, platform, [OVERCLAIM])

    results = run_attempts([Job(r, 1) for r in jobs], fetch=platform_shows_truth)

    assert results == ["MATCHED", "AFFILIATE_OVERCLAIMED"] * 3
    assert len(platform_shows_truth) == 3  # one call per platform for the whole batch
    assert trust(steady["id"]) == pytest.approx(0.53)
    assert trust(falling["id"]) == pytest.approx(0.0)
    # Each ledger row starts where the previous one of its affiliate left off.
    scores = [row.score_after for r in jobs[1::2] for row in ledger(r)]
    assert scores == pytest.approx([0.20, 0.10, 0.0])
    # Only the crossing into the critical bucket (0.30 -> 0.20) raises R4.
    assert [sorted(rule for rule, _ in _rules_and_severities(r)) for r in jobs[1::2]] == [
        ["R1", "R4"], ["R1"], ["R1"]]
    retries = [sent for sent in dispatched.sent if sent[2].get("trigger") == "retry"]
    assert retries == []  # every outcome is terminal


def _small_and_large(world: Any, claim: tuple[int, int, int]) -> list[list[int]]:
    """Three affiliates' reports of `claim`: one each, then four each."""
    affiliates = [world.new_affiliate() for _ in range(3)]
    return [[r for a in affiliates for r in _reports(world, a, "youtube", [claim] * n)]
            for n in (1, 4)]


def _run_each(batches: list[list[int]], fetch: Any, counted: list[Any],
              expect: str | None = None) -> list[list[Any]]:
    """Run each batch; what `counted` (a fixture's list) gathered during each."""
    gathered = []
    for reports in batches:
        counted.clear()
        results = run_attempts([Job(r, 1) for r in reports], fetch=fetch)
        if expect is not None:
            assert results == [expect] * len(reports)
        gathered.append(list(counted))
    return gathered


def test_a_batch_costs_the_same_statements_whether_it_holds_three_jobs_or_twelve(
    world: Any, dispatched: Any, platform_shows_truth: Any, statements: list[str],
) -> None:
    small, large = _run_each(_small_and_large(world, MATCHED), platform_shows_truth,
                             statements, expect="MATCHED")

    assert len(small) == len(large), large
    # One read; then the lock, the state, seven multi-row writes (the posts' rates among
    # them; SQLite adds a BEGIN per transaction, not counted); the post checks read the
    # verified handles, the posts' previous and the affiliates' earlier readings, and read
    # and write the reports' flags (docs/fraud.md).
    assert len([s for s in large if not s.startswith("BEGIN")]) <= 17, large


def test_a_batch_costs_the_same_round_trips_whether_it_holds_three_jobs_or_twelve(
    world: Any, dispatched: Any, platform_shows_truth: Any, round_trips: list[int],
) -> None:
    """What the statement count above cannot see: an UPDATE of many rows sent with
    psycopg2's own executemany costs a round trip per row, inside the affiliates' locks
    (the engine's executemany_mode sends a page of rows at once; TableWrites one
    statement)."""
    requires_postgres()
    small, large = _run_each(_small_and_large(world, MATCHED), platform_shows_truth,
                             round_trips, expect="MATCHED")

    assert sum(small) == sum(large), large


def test_loading_a_batchs_targets_costs_its_read_and_its_mark_and_no_transaction(
    world: Any, dispatched: Any, round_trips: list[int],
) -> None:
    """load_targets runs on single_statements: no BEGIN and no COMMIT around the read of
    the jobs' targets and the mark that a worker took them."""
    requires_postgres()
    reports = _reports(world, world.new_affiliate(), "youtube", [MATCHED] * 3)
    load_targets([Job(reports[0], 1)])  # the pool's first connection: its set-up queries
    round_trips.clear()
    targets = load_targets([Job(r, 1) for r in reports])
    assert [t.report_id for t in targets if t is not None] == reports
    assert sum(round_trips) == 2, round_trips


def test_an_alert_a_batch_raises_costs_it_one_round_trip(
    world: Any, dispatched: Any, platform_shows_truth: Any, round_trips: list[int],
    statements: list[str],
) -> None:
    """Its insert. What the alerts concern (earnings holds) is worked out once per batch,
    after its last alert (alerts.hooks.told_together), not two reads per alert."""
    requires_postgres()
    batches = _small_and_large(world, OVERCLAIM)
    trips: list[list[Any]] = []
    raised = []
    for reports in batches:  # each batch's round trips and alert inserts, in one run
        statements.clear()
        trips += _run_each([reports], platform_shows_truth, round_trips)
        raised.append(sum(s.startswith("INSERT INTO alerts") for s in statements))
        assert raised[-1] >= len(reports)  # one R1 alert each, at least

    assert sum(trips[1]) - sum(trips[0]) == raised[1] - raised[0], (trips, raised)

"""The bench's pure report code: percentiles, latency summaries, the JSON's figures."""

from __future__ import annotations

import pytest

from reconcile.bench.report import (
    REQUIRED_KEYS,
    RunResult,
    latency_summary,
    per_second,
    percentile,
    summarise,
)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 50, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),
        (list(map(float, range(1, 101))), 95, 95.05),
        (list(map(float, range(1, 101))), 99, 99.01),
    ],
)
def test_percentile_interpolates_between_the_nearest_ranks(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_none():
    assert percentile([], 50) is None


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_outside_0_to_100_is_refused(q):
    with pytest.raises(ValueError):
        percentile([1.0], q)


def test_latency_summary_gives_p50_p95_p99_and_max_rounded():
    summary = latency_summary([float(v) + 0.004 for v in range(1, 1001)])
    assert summary == {"p50": 500.5, "p95": 950.05, "p99": 990.01, "max": 1000.0}


def test_latency_summary_of_no_requests_is_all_none():
    assert latency_summary([]) == {"p50": None, "p95": None, "p99": None, "max": None}


@pytest.mark.parametrize(("count", "seconds", "expected"),
                         [(100, 2.0, 50.0), (0, 2.0, 0.0), (10, 0.0, 0.0), (1, 3.0, 0.33)])
def test_per_second_is_count_over_seconds_and_zero_for_an_empty_window(count, seconds, expected):
    assert per_second(count, seconds) == expected


def _run(**overrides) -> RunResult:
    base = dict(
        submissions=10, concurrency=4, workers=2, api_workers=2, platform_latency_ms=200,
        offered_rate=None, submit_latencies_ms=[float(v) for v in range(1, 11)],
        statuses={202: 9, 503: 1}, submit_seconds=2.0, accepted_live=9, reconciled=8,
        reconcile_seconds=4.0, reconciled_measured=8,
        first_reconciliation_ms=[100.0, 300.0], noop_tasks=400, noop_seconds=2.0,
        worker_rss_mb_max=80.04, api_rss_mb_max=90.06,
    )
    return RunResult(**{**base, **overrides})


def test_summary_carries_every_required_key():
    report = summarise(_run())
    assert set(REQUIRED_KEYS) <= set(report)


def test_summary_counts_accepted_but_unreconciled_submissions_as_lost():
    report = summarise(_run())
    assert (report["accepted"], report["reconciled"], report["lost"]) == (9, 8, 1)
    assert report["http_statuses"] == {"202": 9, "503": 1}


def test_summary_rates_come_from_accepted_and_reconciled_counts():
    report = summarise(_run())
    assert report["submissions_per_s"] == 4.5
    assert report["reconciliations_per_s"] == 2.0
    assert report["noop_tasks_per_s"] == 200.0
    assert report["ratio_to_noop"] == 0.01


def test_rates_come_from_their_own_phase_while_lost_counts_every_phase():
    # Live phase: 6 of 9 accepted in 2 s; the capacity phase drained 12 in 3 s; one lost.
    report = summarise(_run(statuses={202: 19}, accepted_live=6, reconciled=18,
                            reconciled_measured=12, reconcile_seconds=3.0))
    assert report["submissions_per_s"] == 3.0
    assert report["reconciliations_per_s"] == 4.0
    assert (report["accepted"], report["reconciled"], report["lost"]) == (19, 18, 1)


def test_summary_gives_first_reconciliation_p50_and_p95_only():
    assert summarise(_run())["first_reconciliation_ms"] == {"p50": 200.0, "p95": 290.0}


def test_summary_has_no_ratio_when_the_noop_baseline_measured_nothing():
    assert summarise(_run(noop_tasks=0))["ratio_to_noop"] is None


def test_summary_rounds_rss_to_a_tenth_of_a_megabyte():
    report = summarise(_run())
    assert (report["worker_rss_mb_max"], report["api_rss_mb_max"]) == (80.0, 90.1)

"""Retry policy: when a report is attempted again, and when it stops."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.rules import (
    RetryDecision,
    Status,
    decide_after_attempt,
    decide_deferral,
    default_rules,
)

RULES = default_rules().retry
SUBMITTED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class NoJitter(random.Random):
    def random(self):
        return 0.0


class MaxJitter(random.Random):
    def random(self):
        return 1.0


def _after(status, n, elapsed, **kwargs):
    now = SUBMITTED + elapsed
    kwargs.setdefault("rng", NoJitter())
    return decide_after_attempt(status, n, SUBMITTED, now, RULES, **kwargs)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_missing_data_is_retried_after_the_initial_delay_times_the_attempt_number(n):
    decision = _after(Status.MISSING_PLATFORM_DATA, n, timedelta(0), missing_reason="timeout")
    assert decision == RetryDecision(False, SUBMITTED + timedelta(seconds=1800 * n), True,
                                     "timeout")


def test_missing_data_stops_once_the_attempt_number_reaches_max_attempts():
    decision = _after(Status.MISSING_PLATFORM_DATA, 5, timedelta(0), missing_reason="timeout")
    assert decision == RetryDecision(True, None, True, "timeout")


def test_missing_data_retry_jitter_adds_at_most_ten_percent():
    decision = _after(Status.MISSING_PLATFORM_DATA, 2, timedelta(0), rng=MaxJitter())
    assert decision.retry_at == SUBMITTED + timedelta(seconds=3600 + 360)


@given(st.integers(1, 4), st.integers(0, 2**32))
def test_missing_data_retry_lands_between_the_delay_and_the_delay_plus_jitter(n, seed):
    decision = _after(Status.MISSING_PLATFORM_DATA, n, timedelta(0), rng=random.Random(seed))
    delay = timedelta(seconds=1800 * n)
    assert SUBMITTED + delay <= decision.retry_at <= SUBMITTED + delay * 1.1


def test_missing_data_retry_due_exactly_at_the_window_end_still_happens():
    decision = _after(Status.MISSING_PLATFORM_DATA, 2, timedelta(hours=23), rng=MaxJitter())
    assert decision.terminal is False
    assert decision.retry_at == SUBMITTED + timedelta(hours=24)  # jitter capped at the window


def test_missing_data_retry_that_would_fall_past_the_window_is_terminal():
    decision = _after(Status.MISSING_PLATFORM_DATA, 2, timedelta(hours=23, seconds=1))
    assert decision == RetryDecision(True, None, True, None)


def test_rate_limited_retry_waits_at_least_the_retry_after():
    decision = _after(Status.MISSING_PLATFORM_DATA, 1, timedelta(0), missing_reason="rate_limited",
                      retry_after_seconds=7200)
    assert decision.retry_at == SUBMITTED + timedelta(seconds=7200)
    assert decision.reason == "rate_limited"


def test_a_short_retry_after_does_not_shorten_the_backoff():
    decision = _after(Status.MISSING_PLATFORM_DATA, 1, timedelta(0), missing_reason="rate_limited",
                      retry_after_seconds=10)
    assert decision.retry_at == SUBMITTED + timedelta(seconds=1800)


def test_a_retry_after_beyond_the_window_makes_the_report_terminal():
    decision = _after(Status.MISSING_PLATFORM_DATA, 1, timedelta(hours=20),
                      missing_reason="rate_limited", retry_after_seconds=5 * 3600)
    assert decision.terminal is True


def test_incomplete_data_gets_one_more_attempt_after_the_delay():
    decision = _after(Status.INCOMPLETE_PLATFORM_DATA, 1, timedelta(0))
    assert decision == RetryDecision(False, SUBMITTED + timedelta(seconds=900), True, None)


def test_incomplete_data_is_terminal_after_its_additional_attempt():
    decision = _after(Status.INCOMPLETE_PLATFORM_DATA, 2, timedelta(0),
                      incomplete_attempts_so_far=1)
    assert decision == RetryDecision(True, None, True, None)


@pytest.mark.parametrize(
    "status",
    [Status.MATCHED, Status.DISCREPANCY_LOW, Status.DISCREPANCY_MEDIUM, Status.DISCREPANCY_HIGH,
     Status.AFFILIATE_OVERCLAIMED],
)
def test_every_other_status_is_terminal(status):
    assert _after(status, 1, timedelta(0)) == RetryDecision(True, None, True, None)


def test_an_open_circuit_defers_to_when_the_breaker_may_half_open_without_spending_an_attempt():
    now = SUBMITTED + timedelta(hours=1)
    reopen = now + timedelta(seconds=60)
    decision = decide_deferral(SUBMITTED, now, RULES, reason="circuit_open", reopen_at=reopen)
    assert decision == RetryDecision(False, reopen, False, "circuit_open")


def test_a_disabled_platform_is_rechecked_periodically():
    now = SUBMITTED + timedelta(hours=1)
    decision = decide_deferral(SUBMITTED, now, RULES, reason="platform_disabled", reopen_at=None)
    assert decision == RetryDecision(False, now + timedelta(seconds=300), False,
                                     "platform_disabled")


def test_deferrals_stop_at_the_window_as_terminal_missing_data_with_that_reason():
    now = SUBMITTED + timedelta(hours=23, minutes=59)
    decision = decide_deferral(SUBMITTED, now, RULES, reason="platform_disabled", reopen_at=None)
    assert decision == RetryDecision(True, None, False, "platform_disabled")


@pytest.mark.parametrize("reason", ["circuit_open", "platform_disabled"])
def test_a_missing_result_for_a_down_or_disabled_platform_is_a_deferral(reason):
    decision = _after(Status.MISSING_PLATFORM_DATA, 5, timedelta(0), missing_reason=reason)
    assert decision.spends_attempt is False
    assert decision.terminal is False
    assert decision.reason == reason

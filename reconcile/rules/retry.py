"""Decide what happens to a report after an attempt: retry when, or stop."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconcile.rules.classification import Status
from reconcile.rules.ruleset import RetryRules

DEFERRAL_REASONS = frozenset({"circuit_open", "platform_disabled"})


@dataclass(frozen=True)
class RetryDecision:
    """What comes next; `reason` is the missing_reason the log records (None if not missing)."""

    terminal: bool
    retry_at: datetime | None
    spends_attempt: bool
    reason: str | None


def _stop(reason: str | None, spends_attempt: bool = True) -> RetryDecision:
    return RetryDecision(True, None, spends_attempt, reason)


def decide_after_attempt(
    status: str,
    attempt_number: int,
    submitted_at: datetime,
    now: datetime,
    rules: RetryRules,
    *,
    missing_reason: str | None = None,
    retry_after_seconds: float | None = None,
    incomplete_attempts_so_far: int = 0,
    rng: random.Random | None = None,
) -> RetryDecision:
    """Apply domain.md's retry table to the status attempt `attempt_number` produced.

    `incomplete_attempts_so_far` counts earlier INCOMPLETE attempts, not this one.
    """
    if retry_after_seconds is not None:
        retry_after_seconds = capped_wait(retry_after_seconds, rules)
    deferred = missing_reason if missing_reason in DEFERRAL_REASONS else None
    if status == Status.MISSING_PLATFORM_DATA and deferred is not None:
        # The platform is down or off, not the report's data: defer without an attempt.
        reopen = now + timedelta(seconds=retry_after_seconds) if retry_after_seconds else None
        return decide_deferral(submitted_at, now, rules, reason=deferred, reopen_at=reopen)
    if status == Status.MISSING_PLATFORM_DATA:
        return _after_missing(attempt_number, submitted_at, now, rules, missing_reason,
                              retry_after_seconds, rng or random.Random())
    if status == Status.INCOMPLETE_PLATFORM_DATA:
        if incomplete_attempts_so_far >= rules.incomplete.max_additional_attempts:
            return _stop(None)
        retry_at = now + timedelta(seconds=rules.incomplete.delay_seconds)
        return RetryDecision(False, retry_at, True, None)
    return _stop(None)


def capped_wait(seconds: float, rules: RetryRules) -> float:
    """A platform's Retry-After, capped at the retry window: any longer wait means the same
    (no retry inside the window), and an absurd one would overflow a timedelta."""
    window = rules.missing.window_hours * 3600.0
    return min(seconds, window) if seconds >= 0 else 0.0  # NaN compares false: 0 too


def decide_after_failure(failures: int, now: datetime, rules: RetryRules) -> datetime | None:
    """When to run a job again after its `failures`-th failed run (a reason of its own, not
    the platform's); None: quarantine it."""
    if failures >= rules.failed.max_tries:
        return None
    return now + timedelta(seconds=rules.failed.delay_seconds * 2 ** (failures - 1))


def _after_missing(n: int, submitted_at: datetime, now: datetime, rules: RetryRules,
                   missing_reason: str | None, retry_after: float | None,
                   rng: random.Random) -> RetryDecision:
    policy = rules.missing
    if n >= policy.max_attempts:
        return _stop(missing_reason)
    deadline = submitted_at + timedelta(hours=policy.window_hours)
    delay = float(policy.initial_delay_seconds * n)
    if missing_reason == "rate_limited" and retry_after:
        delay = max(delay, retry_after)
    due = now + timedelta(seconds=delay)
    if due > deadline:
        return _stop(missing_reason)
    # Jitter spreads retries out; it is capped at the deadline so that it never decides
    # whether a report gets its retry.
    jitter = timedelta(seconds=policy.initial_delay_seconds * n * policy.jitter_pct * rng.random())
    return RetryDecision(False, min(due + jitter, deadline), True, missing_reason)


def decide_deferral(submitted_at: datetime, now: datetime, rules: RetryRules, *, reason: str,
                    reopen_at: datetime | None) -> RetryDecision:
    """Defer a job whose platform's breaker is open or which is switched off."""
    retry_at = reopen_at or now + timedelta(seconds=rules.missing.disabled_recheck_seconds)
    if retry_at > submitted_at + timedelta(hours=rules.missing.window_hours):
        return _stop(reason, spends_attempt=False)
    return RetryDecision(False, retry_at, False, reason)

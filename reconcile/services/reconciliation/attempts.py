"""Run reconciliation attempts: fetch platform truth, classify, apply effects, once.

An attempt is keyed by (report, attempt number). Jobs run in batches: their targets are
read in one transaction, each platform is asked once for all of its posts, outside any
transaction, and everything the batch's attempts change commits together. The unique key
makes a redelivered, duplicated or racing job a no-op; when one such job spoils a batch's
commit, the batch is committed again one attempt at a time so that only that job is.

One job never fails its batch: whatever goes wrong for it alone (a platform's fetch that
raises, an outcome that cannot be classified or written) is noted as a failed run of that
job (reconcile.services.reconciliation.failures), and the others carry on. Only a lost database
connection fails the batch: that is not any one job's fault, and the task retries it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from reconcile.bootstrap import active_rules
from reconcile.dispatch import NextAttempt, send_attempts
from reconcile.observability import events as observe
from reconcile.persistence.db import unit_of_work
from reconcile.platforms.fetching import FetchOutcome, fetch_truth_grouped, fetch_truth_many
from reconcile.rules import (
    METRICS,
    Classification,
    RetryDecision,
    Rules,
    Status,
    bucket_for,
    classify,
    decide_after_attempt,
    decide_deferral,
    event_for,
)
from reconcile.services.reconciliation.effects import (
    Outcome,
    Written,
    apply_outcomes,
    record_deferral,
)
from reconcile.services.reconciliation.failures import Failed, describe, note_failure
from reconcile.services.reconciliation.sources import (
    PRODUCTION,
    Counters,
    Tracked,
    read_tracked,
)
from reconcile.services.reconciliation.targets import Job, Target, load_targets

log = logging.getLogger("reconcile.tasks.reconciliation")


def load_target(job: Job) -> Target | None:
    """Return what to fetch, or None when this job has nothing left to do (reads only)."""
    return load_targets([job], mark_taken=False)[0]


# Asks one platform for many posts: the production fetch goes through the breaker.
FetchMany = Callable[[str, Sequence[str]], dict[str, FetchOutcome]]


def run_attempt(job: Job, now: datetime | None = None, *,
                fetch: FetchMany = fetch_truth_many,
                counters: Counters = PRODUCTION) -> str | None:
    """Run the job; return the status it recorded, or None when it was a no-op."""
    return run_attempts([job], now, fetch=fetch, counters=counters)[0]


def run_attempts(jobs: Sequence[Job], now: datetime | None = None, *,
                 passthrough: tuple[type[BaseException], ...] = (),
                 fetch: FetchMany = fetch_truth_many,
                 counters: Counters = PRODUCTION) -> list[str | None]:
    """Run several jobs, fetching each platform's posts together; one result per job.

    The batch is read in one transaction and written in another; jobs the fetch deferred
    are noted one by one. Exceptions of the `passthrough` types (the task's time limit) end
    the whole batch instead of counting against one job. `fetch` asks one platform for
    many posts (tests pass a fake). Tracked clicks and postback conversions are read with
    `counters`, as of the fetch.
    """
    started = time.perf_counter()
    for job in jobs:
        log.info("Processing reconciliation job", extra=_extra(job))
    targets = load_targets(jobs)
    live = [(i, job, t) for i, (job, t) in enumerate(zip(jobs, targets, strict=True))
            if t is not None]
    started_at = datetime.now(UTC)
    fetched = _fetch([t for _, _, t in live], fetch)
    rules = active_rules()
    now = now or datetime.now(UTC)
    # Our own counts, read only for posts the platform answered for: when it could not show
    # the post, the attempt's data is missing as a whole, as it always was.
    tracked = read_tracked([(t.post_id, t.sources) for _, _, t in live
                            if not fetched[t.report_id].deferred
                            and fetched[t.report_id].missing_reason is None], now, counters)
    results: dict[int, str | None] = {}
    outcomes: list[tuple[int, Outcome]] = []
    keys: set[tuple[int, int]] = set()
    for i, job, target in live:
        try:
            outcome = fetched[target.report_id]
            if outcome.deferred:
                _defer(job, target, outcome, now, rules)
            elif (job.report_id, job.attempt_number) in keys:
                # The same attempt twice in one batch: the first does the work.
                _log_finished(job, target, outcome="duplicate")
            else:
                outcomes.append((i, _classified(job, target, outcome, now, rules, tracked)))
                keys.add((job.report_id, job.attempt_number))
        except (OperationalError, *passthrough):  # type: ignore[misc]
            raise  # the database is away, or the task's time is up: the batch is retried
        except Exception as exc:  # noqa: BLE001 - this job's own failure; the rest go on
            _failed(job, target, exc)
    written = _commit([o for _, o in outcomes], rules, started, started_at, passthrough)
    for (i, o), done in zip(outcomes, written, strict=True):
        results[i] = _finished(o, done, started)
    for job, maybe in zip(jobs, targets, strict=True):
        if maybe is None:
            log.info("Reconciliation job finished", extra={**_extra(job), "outcome": "no-op"})
    return [results.get(i) for i in range(len(jobs))]


def _fetch(targets: Sequence[Target], fetch: FetchMany) -> dict[int, FetchOutcome]:
    """Ask each platform once for all of its posts in the batch (per its batch size), the
    platforms side by side, so a batch waits for its slowest platform, not their sum."""
    by_platform: dict[str, list[Target]] = {}
    for target in targets:
        by_platform.setdefault(target.platform, []).append(target)
    outcomes = {platform: {t.platform_post_id: FetchOutcome.deferred_for("platform_disabled")
                           for t in group}
                for platform, group in by_platform.items() if not group[0].platform_active}
    outcomes.update(fetch_truth_grouped(
        {platform: [t.platform_post_id for t in group]
         for platform, group in by_platform.items() if group[0].platform_active},
        fetch=lambda platform, post_ids: _fetch_one_platform(platform, post_ids, fetch),
    ))
    return {t.report_id: outcomes[t.platform][t.platform_post_id] for t in targets}


def _fetch_one_platform(platform: str, post_ids: Sequence[str],
                        fetch: FetchMany) -> dict[str, FetchOutcome]:
    """One platform's posts; if asking it raises, its posts only are a fetch_error."""
    try:
        return fetch(platform, post_ids)
    except Exception as exc:  # noqa: BLE001 - one platform's trouble is not the batch's
        log.exception("Platform fetch failed", extra={"platform": platform,
                                                      "error_code": type(exc).__name__})
        return dict.fromkeys(post_ids, FetchOutcome(missing_reason="fetch_error"))


def _extra(job: Job) -> dict[str, Any]:
    return {"report_id": job.report_id, "attempt": job.attempt_number,
            "request_id": job.request_id, "task_id": job.task_id, "trace_id": job.trace_id}


def _log_finished(job: Job, target: Target, **extra: Any) -> None:
    log.info("Reconciliation job finished",
             extra={**_extra(job), "platform": target.platform, **extra})


def _defer(job: Job, target: Target, fetched: FetchOutcome, now: datetime, rules: Rules) -> None:
    """Note a job the platform could not be asked about; it keeps its attempt number.

    A verified report's outcome stands; the next re-verification sweep tries again."""
    deferral = decide_deferral(
        target.submitted_at, now, rules.retry, reason=fetched.missing_reason or "",
        reopen_at=fetched.reopen_at,
    )
    record_deferral(job, target, fetched.missing_reason or "", deferral, rules)
    if not target.verified:
        observe.deferred(fetched.missing_reason)
        _schedule(job, target, deferral, same_attempt=True)
    _log_finished(job, target, outcome="deferred", missing_reason=fetched.missing_reason)


def _classified(job: Job, target: Target, fetched: FetchOutcome, now: datetime,
                rules: Rules, tracked: Tracked) -> Outcome:
    """Classify one fetched report, each metric against its own source, and decide what
    comes next."""
    sources = tracked.sources_for(target.post_id, target.sources)
    observed = tracked.observed(target.post_id, sources, fetched.metrics)
    if fetched.missing_reason is not None:  # the platform showed nothing: nothing observed
        observed = dict.fromkeys(METRICS)
    hours = (now - target.submitted_at).total_seconds() / 3600
    result: Classification = classify(target.claimed, observed, hours, rules.classification,
                                      verifiable=[m for m in METRICS if sources[m] != "none"])
    if result.status == Status.MISSING_PLATFORM_DATA and fetched.missing_reason is None:
        # The platform answered for the post but showed none of its metrics: to us the
        # post's data was not found, which is what the reason must say.
        fetched = replace(fetched, missing_reason="not_found")
    # Data that goes missing after a report was verified neither undoes the verified
    # outcome nor starts a new retry chain: the attempt is kept as history only.
    keep_outcome = target.verified and event_for(result.status) is None
    decision: RetryDecision = (
        RetryDecision(True, None, True, fetched.missing_reason) if keep_outcome
        else decide_after_attempt(
            result.status, job.attempt_number, target.submitted_at, now, rules.retry,
            missing_reason=fetched.missing_reason, retry_after_seconds=fetched.retry_after,
            incomplete_attempts_so_far=target.incomplete_attempts,
        )
    )
    return Outcome(job, target, fetched, result, decision, keep_outcome, sources, observed)


DUPLICATE, FAILED = "duplicate", "failed"


def _commit(outcomes: list[Outcome], rules: Rules, started: float, started_at: datetime,
            passthrough: tuple[type[BaseException], ...] = ()) -> list[Written | str]:
    """Commit the outcomes together; DUPLICATE for an attempt another delivery committed
    first, FAILED for one that could not be written (noted as its job's failure)."""
    if not outcomes:
        return []
    try:
        with unit_of_work() as uow:
            written = apply_outcomes(uow, outcomes, rules, started_at=started_at,
                                     duration_ms=(time.perf_counter() - started) * 1000)
            uow.after_commit(observe.attempts_committed([
                (str(o.result.status), o.fetched.missing_reason,
                 bucket_for(w.trust_score, rules.trust))
                for o, w in zip(outcomes, written, strict=True)
            ], started))
        return list(written)
    except (OperationalError, *passthrough):  # type: ignore[misc]
        raise  # the database is away, or the task's time is up: the batch is retried
    except IntegrityError:
        if len(outcomes) == 1:
            return [DUPLICATE]
    except Exception as exc:  # noqa: BLE001 - one outcome the database or our code refused
        if len(outcomes) == 1:
            _failed(outcomes[0].job, outcomes[0].target, exc)
            return [FAILED]
    # Another delivery of one of these attempts committed first, or one of them cannot be
    # written: commit each on its own, so that only that one is left out.
    return [done for o in outcomes
            for done in _commit([o], rules, started, started_at, passthrough)]


def _failed(job: Job, target: Target, exc: BaseException) -> None:
    """Note a failed run of this job alone (tried again later, or quarantined)."""
    log.warning("Reconciliation job failed on its own", exc_info=exc,
                extra={**_extra(job), "platform": target.platform,
                       "error_code": type(exc).__name__})
    note_failure(Failed(job.report_id, job.attempt_number, job.trigger, describe(exc),
                        job.request_id))


def _finished(o: Outcome, done: Written | str, started: float) -> str | None:
    """Schedule what comes next and log the job's end; return its status."""
    if isinstance(done, str):
        if done == DUPLICATE:
            _log_finished(o.job, o.target, outcome=DUPLICATE)
        return None
    if done.applied:
        _schedule(o.job, o.target, o.decision, same_attempt=False)
    _log_finished(o.job, o.target, status=str(o.result.status),
                  missing_reason=o.fetched.missing_reason,
                  duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return str(o.result.status)


def _schedule(job: Job, target: Target, decision: RetryDecision, *, same_attempt: bool) -> None:
    if decision.terminal or decision.retry_at is None:
        return
    delay = max((decision.retry_at - datetime.now(UTC)).total_seconds(), 0.0)
    number = job.attempt_number if same_attempt else job.attempt_number + 1
    send_attempts([NextAttempt(target.report_id, number, target.priority, "retry", delay,
                               job.request_id)])

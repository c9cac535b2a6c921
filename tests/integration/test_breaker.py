"""The platform breaker: shared through Redis, opened by platform failures only, and at most
one half-open probe in flight for the whole pool."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from reconcile.bootstrap import active_rules
from reconcile.platforms import breaker
from reconcile.platforms.fetching import FetchOutcome, fetch_truth, fetch_truth_many
from tests.conftest import ROOT, unique, unique_video_id, wait_for
from tests.integration.pools import Pool, isolated, own_redis_client

PLATFORM = "youtube"

# Racers in another process: each thread says it is ready, waits for the go, then fetches.
RACER = """
import json, sys, threading
import redis
from reconcile.config import load_settings, redis_client_url
from reconcile.platforms.fetching import fetch_truth
go, ready, ids = sys.argv[1], sys.argv[2], sys.argv[3:]
deferred = []
def race(post_id):
    client = redis.Redis.from_url(redis_client_url(load_settings().redis_url))
    client.rpush(ready, 1)
    assert client.blpop([go], timeout=120)
    deferred.append(fetch_truth("youtube", post_id).deferred)
threads = [threading.Thread(target=race, args=(i,)) for i in ids]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps(deferred))
"""

# Trips the breaker from another process.
TRIPPER = """
from reconcile.platforms import breaker
from reconcile.platforms.fetching import fetch_truth
import sys
for post_id in sys.argv[1:]:
    fetch_truth("youtube", post_id)
    if breaker.snapshot("youtube").state == breaker.OPEN:
        break
print(breaker.snapshot("youtube").state)
"""


@pytest.fixture(scope="module")
def pool(stack: Any, simulator: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    with isolated(tmp_path_factory.mktemp("breaker")) as own:
        yield own


@pytest.fixture(autouse=True)
def closed_breaker(pool: Pool) -> Iterator[None]:
    breaker.reset(PLATFORM)
    yield
    pool.fault(PLATFORM, "none")
    breaker.reset(PLATFORM)


def _fail_max() -> int:
    return active_rules().breaker.fail_max


def _trip(pool: Pool) -> int:
    """Fail calls until the breaker opens; return how many calls the platform saw."""
    before = pool.calls(PLATFORM)
    pool.fault(PLATFORM, "error")
    for _ in range(_fail_max()):
        fetch_truth(PLATFORM, unique_video_id())
        if breaker.snapshot(PLATFORM).state == breaker.OPEN:
            break
    return pool.calls(PLATFORM) - before


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_the_breaker_opens_after_fail_max_failed_calls_and_then_spares_the_platform(
    pool: Pool, caplog: pytest.LogCaptureFixture,
) -> None:
    calls = _trip(pool)
    snap = breaker.snapshot(PLATFORM)
    assert (snap.state, calls) == (breaker.OPEN, _fail_max())
    assert snap.opened_at is not None
    before = pool.calls(PLATFORM)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="reconcile.platforms.fetcher"):
        outcomes = fetch_truth_many(PLATFORM, [unique_video_id() for _ in range(3)])
    assert pool.calls(PLATFORM) == before
    reopen = snap.opened_at + timedelta(seconds=active_rules().breaker.reset_timeout_seconds)
    assert list(outcomes.values()) == [FetchOutcome.deferred_for("circuit_open", reopen)] * 3
    skipped = [r for r in caplog.records
               if r.getMessage() == "Platform fetch skipped: circuit open"]
    assert [getattr(r, "platform", None) for r in skipped] == [PLATFORM]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("not_found", "not_found"), ("rate_limit", "rate_limited"), ("auth", "auth_error"),
     ("malformed", "invalid_response")],
)
def test_answers_about_posts_or_credentials_do_not_count_as_platform_failures(
    pool: Pool, mode: str, reason: str,
) -> None:
    pool.fault(PLATFORM, mode, retry_after=0)
    outcomes = [fetch_truth(PLATFORM, unique_video_id()) for _ in range(_fail_max() + 2)]
    assert {o.missing_reason for o in outcomes} == {reason}
    snap = breaker.snapshot(PLATFORM)
    assert (snap.state, snap.fail_counter) == (breaker.CLOSED, 0)


def test_a_successful_answer_resets_the_failure_count(pool: Pool) -> None:
    tries = active_rules().fetch.max_attempts
    pool.fault(PLATFORM, "error", count=tries)  # one fetch: a failed call and its retries
    assert fetch_truth(PLATFORM, unique_video_id()).missing_reason == "fetch_error"
    assert breaker.snapshot(PLATFORM).fail_counter == tries
    assert fetch_truth(PLATFORM, unique_video_id()).metrics
    assert breaker.snapshot(PLATFORM).fail_counter == 0


def test_a_breaker_tripped_by_another_process_keeps_this_one_from_calling(pool: Pool) -> None:
    pool.fault(PLATFORM, "error")
    tripper = _python(TRIPPER, *[unique_video_id() for _ in range(_fail_max())])
    out, err = tripper.communicate(timeout=60)
    assert out.strip() == breaker.OPEN, err[-2000:]
    before = pool.calls(PLATFORM)
    assert fetch_truth(PLATFORM, unique_video_id()).missing_reason == "circuit_open"
    assert pool.calls(PLATFORM) == before
    assert breaker.snapshot(PLATFORM).fail_counter == _fail_max()


def test_at_half_open_exactly_one_probe_reaches_the_platform_however_many_processes_race(
    pool: Pool,
) -> None:
    _trip(pool)
    wait_for(lambda: breaker.snapshot(PLATFORM).seconds_until_half_open == 0, 15,
             what="the reset timeout to pass")
    # The platform is back but slow: every racer arrives while the one probe is in flight.
    pool.fault(PLATFORM, "none", latency_ms=1500)
    go, ready = unique("go"), unique("ready")
    before = pool.calls(PLATFORM)
    racers = [_python(RACER, go, ready, *[unique_video_id() for _ in range(4)])
              for _ in range(2)]
    redis = own_redis_client(pool)
    wait_for(lambda: redis.llen(ready) == 8, 30, what="racers in other processes")
    local: list[bool] = []
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        local.append(fetch_truth(PLATFORM, unique_video_id()).deferred)

    threads = [threading.Thread(target=race) for _ in range(7)]
    for t in threads:
        t.start()
    redis.rpush(go, *range(8))
    barrier.wait()
    for t in threads:
        t.join(30)
    remote = [json.loads(p.communicate(timeout=60)[0]) for p in racers]
    outcomes = local + [d for r in remote for d in r]
    assert len(outcomes) == 15
    assert pool.calls(PLATFORM) - before == 1
    assert sorted(outcomes) == [False] + [True] * 14
    assert breaker.snapshot(PLATFORM).state == breaker.CLOSED

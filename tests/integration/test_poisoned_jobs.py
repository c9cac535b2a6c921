"""One poisoned job never fails its batch, and a job that keeps failing is quarantined.

A batch of 50 jobs runs through `run_attempts` (what the task does with a job and the 49
ready jobs it drains). One of them is poisoned: its platform answers something our code
used to choke on, or its outcome cannot be classified or written. The other 49 reconcile on
their first try; the poisoned one fails alone (noted on its log, sent again later) and is
quarantined after `retry.failed.max_tries` failed runs: terminal status QUARANTINED, the
reason on its log, an R7 JOB_QUARANTINED alert (DATA_QUALITY).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, Report
from reconcile.platforms.fetching import FetchOutcome
from reconcile.services.reconciliation.attempts import Job, run_attempts
from tests.integration.flows import attempts, log_of, post_url, submit_claim

TRUTH = (1000, 50, 5)
OTHERS = 49


@contextmanager
def fake_platform(status: int, body: bytes, headers: dict[str, str]) -> Iterator[str]:
    """A platform API that answers every call with this status, headers and body."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def _batch(world: Any, sim: Any, poisoned_platform: str) -> tuple[list[int], int]:
    """49 youtube reports whose claims match the platform, and one on another platform."""
    affiliate = world.new_affiliate()
    others = []
    for _ in range(OTHERS):
        url = post_url("youtube")
        sim.post("youtube", url, *TRUTH)
        others.append(submit_claim(world, affiliate, "youtube", url, TRUTH))
    poisoned = submit_claim(world, world.new_affiliate(), poisoned_platform,
                            post_url(poisoned_platform), TRUTH)
    return others, poisoned


def _first_try_matched(others: list[int], results: list[str | None]) -> None:
    assert results[:OTHERS] == ["MATCHED"] * OTHERS
    for report_id in others:
        assert [(a.attempt_number, a.status) for a in attempts(report_id)] == [(1, "MATCHED")]


@pytest.mark.parametrize(("case", "status", "body", "headers", "reason"), [
    ("429 asking to wait 3 million years", 429, b"{}",
     {"Retry-After": "99999999999999"}, "rate_limited"),
    ("429 with a Retry-After past any float", 429, b"{}",
     {"Retry-After": "9" * 32}, "rate_limited"),
    ("a body nested 100,000 levels deep", 200, b"[" * 100_000 + b"]" * 100_000, {},
     "invalid_response"),
])
def test_one_poisoned_platform_answer_leaves_the_other_49_reconciled_on_the_first_try(
    world: Any, sim: Any, dispatched: Any, monkeypatch: pytest.MonkeyPatch, case: str,
    status: int, body: bytes, headers: dict[str, str], reason: str,
) -> None:
    others, poisoned = _batch(world, sim, "tiktok")

    with fake_platform(status, body, headers) as url:
        monkeypatch.setenv("RECONCILE_TIKTOK_BASE_URL", url)
        results = run_attempts([Job(r, 1) for r in [*others, poisoned]])

    _first_try_matched(others, results)
    assert results[-1] == "MISSING_PLATFORM_DATA"
    assert log_of(poisoned).missing_reason == reason


def _fetch_poisoning(poisoned_post: str, metrics: dict[str, Any]) -> Any:
    def fetch(platform: str, post_ids: Sequence[str]) -> dict[str, FetchOutcome]:
        truth = dict(zip(("views", "likes", "comments"), TRUTH, strict=True))
        return {pid: FetchOutcome(metrics=metrics if pid == poisoned_post else truth)
                for pid in post_ids}
    return fetch


def _post_id_of(report_id: int) -> str:
    from reconcile.persistence.models import Post

    with unit_of_work() as uow:
        return uow.session.scalar(select(Post.platform_post_id).join(Report).where(
            Report.id == report_id)) or ""


@pytest.mark.parametrize(("case", "metrics"), [
    ("a count that is not a number: classifying it raises", {"views": "many", "likes": 50,
                                                            "comments": 5}),
    ("a count past what the database holds: writing it raises", {"views": 2**70, "likes": 50,
                                                                 "comments": 5}),
])
def test_a_job_that_keeps_failing_is_quarantined_and_never_holds_up_the_others(
    world: Any, sim: Any, dispatched: Any, case: str,
    metrics: dict[str, Any],
) -> None:
    others, poisoned = _batch(world, sim, "youtube")
    fetch = _fetch_poisoning(_post_id_of(poisoned), metrics)
    tries = active_rules().retry.failed.max_tries
    dispatched.sent.clear()

    first = run_attempts([Job(r, 1) for r in [*others, poisoned]], fetch=fetch)
    for _ in range(tries - 1):  # the job comes back (its retry, a redelivery) and fails again
        assert run_attempts([Job(poisoned, 1)], fetch=fetch) == [None]

    _first_try_matched(others, first)
    assert first[-1] is None
    rlog = log_of(poisoned)
    assert (rlog.status, rlog.is_terminal, rlog.failures) == ("QUARANTINED", True, tries)
    assert rlog.last_failure and rlog.scheduled_retry_at is None
    assert attempts(poisoned) == []
    with unit_of_work() as uow:
        raised = uow.session.scalars(select(Alert).where(Alert.report_id == poisoned)).all()
    assert [(a.rule, a.type, a.category) for a in raised] == [
        ("R7", "JOB_QUARANTINED", "DATA_QUALITY")]
    assert raised[0].threshold_breached["last_failure"] == rlog.last_failure
    resent = [(n, kw["countdown"]) for r, n, kw in dispatched.sent if r == poisoned]
    assert len(resent) == tries - 1 and all(n == 1 and wait > 0 for n, wait in resent)
    # Once quarantined, it is left alone.
    assert run_attempts([Job(poisoned, 1)], fetch=fetch) == [None]
    assert log_of(poisoned).failures == tries

"""`reconcile bench` run as a user would, on a small load: every key, sane figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconcile.bench.report import REQUIRED_KEYS
from tests.conftest import IN_CI, ROOT, TEST_DB, TEST_REDIS, requires_postgres

SUBMISSIONS = 60  # the 56th is the first over-claim (workload.MIX): an alert to deliver
BACKLOG = 20
BUSY_BACKLOG, BUSY_PROBE = 40, 10
CLICKS = 200
POSTBACKS = 50


PHASES = ("staging", "starting the simulator", "no-op baseline", "load generator baseline",
          "live phase", "capacity phase", "busy phase", "redirect phase", "postback phase",
          "stopping", "done")


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    requires_postgres()
    if not TEST_REDIS:
        message = "needs Redis: set TEST_REDIS_URL=redis://..."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    env = {**os.environ, "DATABASE_URL": TEST_DB, "REDIS_URL": TEST_REDIS,
           "LOG_LEVEL": "WARNING"}
    out = tmp_path_factory.mktemp("bench") / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "reconcile.cli", "bench", "--submissions", str(SUBMISSIONS),
         "--concurrency", "4", "--workers", "1", "--api-workers", "1",
         "--backlog", str(BACKLOG), "--clicks", str(CLICKS), "--postbacks", str(POSTBACKS),
         "--busy-probe", str(BUSY_PROBE), "--busy-backlog", str(BUSY_BACKLOG),
         "--drain-timeout", "120", "--webhooks", "--json", str(out)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    printed = json.loads(done.stdout)
    assert json.loads(Path(out).read_text()) == printed
    return printed, done.stderr


@pytest.fixture(scope="module")
def report(bench_run: tuple[dict, str]) -> dict:
    return bench_run[0]


def test_each_phase_is_announced_on_stderr_in_order(bench_run):
    lines = [line for line in bench_run[1].splitlines() if line.startswith("bench [")]
    announced = [next((i for i, line in enumerate(lines) if phase in line), None)
                 for phase in PHASES]
    assert None not in announced, lines
    assert announced == sorted(announced), lines


def test_the_report_has_every_required_key(report):
    assert set(REQUIRED_KEYS) <= set(report)


def test_every_submission_was_accepted_and_reconciled_and_none_lost(report):
    # Both phases count: the live one (`submissions`) and the capacity phase's backlog.
    assert report["submissions"] == SUBMISSIONS
    assert report["accepted"] == report["reconciled"] == SUBMISSIONS + BACKLOG
    assert report["lost"] == 0
    assert report["http_statuses"] == {"202": SUBMISSIONS + BACKLOG}
    assert sum(report["outcomes"].values()) == SUBMISSIONS + BACKLOG


def test_the_capacity_phase_drained_its_backlog_after_the_live_phase(report):
    capacity = report["capacity"]
    assert capacity["backlog"] == BACKLOG
    assert capacity["drain_seconds"] > 0
    assert capacity["submissions_per_s"] > 0
    # reconciliations_per_s is the drain rate: every backlog report within drain_seconds.
    assert report["reconciliations_per_s"] == pytest.approx(
        BACKLOG / capacity["drain_seconds"], rel=0.05)
    assert report["live"]["reconciliations_per_s"] > 0


def test_the_busy_phase_times_one_caller_beside_the_drain(report):
    busy = report["busy"]
    assert (busy["backlog"], busy["probe"]) == (BUSY_BACKLOG, BUSY_PROBE)
    assert busy["http_statuses"] == {"202": BUSY_PROBE}
    latency = busy["submit_latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert 0 <= busy["backlog_left_after_probe"] <= BUSY_BACKLOG + BUSY_PROBE


def test_the_run_reports_the_options_it_ran_with(report):
    assert (report["concurrency"], report["workers"], report["platform_latency_ms"]) == (4, 1, 0)


def test_latency_percentiles_are_positive_and_ordered(report):
    submit = report["submit_latency_ms"]
    assert 0 < submit["p50"] <= submit["p95"] <= submit["p99"] <= submit["max"]
    first = report["first_reconciliation_ms"]
    assert 0 < first["p50"] <= first["p95"]


def test_rates_and_the_noop_baseline_are_positive(report):
    for key in ("submissions_per_s", "reconciliations_per_s", "noop_tasks_per_s",
                "ratio_to_noop"):
        assert report[key] > 0, key
    assert report["ratio_to_noop"] == pytest.approx(
        report["reconciliations_per_s"] / report["noop_tasks_per_s"], abs=0.001)


def test_process_memory_was_sampled_from_the_api_and_the_workers(report):
    assert 20 < report["api_rss_mb_max"] < 1000
    assert 20 < report["worker_rss_mb_max"] < 1000


def test_the_redirect_phase_answered_every_click_and_lost_none(report):
    redirect = report["redirect"]
    assert redirect["http_statuses"] == {"302": CLICKS}
    assert redirect["recorded"] == CLICKS and redirect["lost"] == 0
    assert redirect["clicks_per_s"] > 0 and redirect["concurrency"] == 4
    latency = redirect["redirect_latency_ms"]
    assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    assert 0 < redirect["api_cpu_ms_per_click"] < 1000


def test_with_webhooks_the_workers_delivered_alerts_to_the_benchs_receiver(report):
    assert report["outcomes"].get("AFFILIATE_OVERCLAIMED", 0) > 0  # each raises an alert
    assert report["webhook_deliveries"] > 0


def test_the_postback_phase_recorded_every_postback(report):
    postback = report["postback"]
    assert postback["postbacks"] == POSTBACKS
    assert postback["http_statuses"] == {"201": POSTBACKS}
    assert postback["postbacks_per_s"] > 0
    assert 0 < postback["api_cpu_ms_per_postback"] < 1000
    assert 0 < report["loadgen"]["healthz_api_cpu_ms_per_request"] < 1000

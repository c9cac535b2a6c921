"""`reconcile bench --scale` run as a user would, on a small history: every figure, sane."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from reconcile.bench.scale import reads
from tests.conftest import IN_CI, ROOT, TEST_DB, TEST_REDIS, requires_postgres

REPORTS, POSTS = 3000, 300


@pytest.fixture(scope="module")
def report() -> dict:
    requires_postgres()
    if not TEST_REDIS:
        message = "needs Redis: set TEST_REDIS_URL=redis://..."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    env = {**os.environ, "DATABASE_URL": TEST_DB, "REDIS_URL": TEST_REDIS,
           "LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-m", "reconcile.cli", "bench", "--scale", "--reports", str(REPORTS),
         "--posts", str(POSTS), "--rounds", "2", "--repeats", "2", "--submissions", "8",
         "--concurrency", "2", "--api-workers", "1"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


def test_the_history_is_seeded_at_the_asked_size(report):
    seeded = report["seeded"]
    assert (seeded["posts"], seeded["reports"]) == (POSTS, REPORTS)
    # Most reports were reconciled (an attempt each), most attempts saw the platform.
    assert REPORTS * 0.9 < seeded["attempts"] <= REPORTS
    assert 0 < seeded["snapshots"] <= seeded["attempts"]
    assert 0 < seeded["alerts"] < seeded["attempts"]


def test_every_figure_is_measured_on_both_databases_with_its_ratio(report):
    names = {"submit_p50", *(read.name for read in reads(1))}
    assert set(report["figures"]) == names
    for name, figure in report["figures"].items():
        assert len(figure["empty_rounds_ms"]) == len(figure["scaled_rounds_ms"]) == 2, name
        assert figure["empty_ms"] > 0 and figure["scaled_ms"] > 0, name
        assert figure["ratio"] == round(figure["scaled_ms"] / figure["empty_ms"], 2), name
    assert sorted(report["flat"] + report["not_flat"]) == sorted(names)

"""`reconcile up --demo` started as a user would; submissions and outcomes over HTTP."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from tests.conftest import (
    TEST_DB,
    TEST_REDIS,
    USES_POSTGRES,
    Proc,
    _create_postgres_database,
    descendants,
    free_port,
    process_alive,
    unique_video_id,
    wait_for,
)


@pytest.fixture(scope="module")
def system(stack: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    var = tmp_path_factory.mktemp("up-var")
    ports = {"api": free_port(), "sim": free_port(), "flower": free_port()}
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "RECONCILE_PLATFORM_BASE_URL",
                        "RECONCILE_RULES")}
    env["RECONCILE_VAR_DIR"] = str(var)
    drop_database = None
    if USES_POSTGRES:  # a database of its own, so its beat sweeps only its own reports
        env["DATABASE_URL"], drop_database = _create_postgres_database(TEST_DB)
    if TEST_REDIS:  # a database of its own, so the integration tests' workers stay out
        env["REDIS_URL"] = urlunsplit(urlsplit(TEST_REDIS)._replace(path="/10"))
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    proc = Proc(
        [sys.executable, "-m", "reconcile.cli", "up", "--demo", "--workers", "2",
         "--api-port", str(ports["api"]), "--sim-port", str(ports["sim"]),
         "--flower-port", str(ports["flower"])],
        env, var / "up.log",
    )
    api = f"http://127.0.0.1:{ports['api']}"

    def ready() -> bool:
        if proc.popen.poll() is not None:
            raise AssertionError(f"reconcile up exited:\n{proc.output()[-4000:]}")
        return (var / "demo-keys.json").exists() and requests.get(f"{api}/readyz", timeout=1).ok

    try:
        wait_for(ready, 90, 0.2, what="reconcile up to be ready")
        yield {"api": api, "sim": f"http://127.0.0.1:{ports['sim']}", "proc": proc,
               "demo": json.loads((var / "demo-keys.json").read_text()),
               "flower": f"http://127.0.0.1:{ports['flower']}"}
    finally:
        proc.stop()
        if drop_database:
            drop_database()


def _key(demo: dict, name: str) -> dict[str, str]:
    user = next(u for u in demo["users"] if u["name"] == name)
    return {"Authorization": f"Bearer {user['api_key']}"}


def _reconcile(system: dict, affiliate: str, claim: tuple[int, int, int]) -> tuple[dict, float]:
    url = f"https://www.youtube.com/watch?v={unique_video_id()}"
    truth = {"platform": "youtube", "url": url, "views": 1000, "likes": 50, "comments": 5}
    requests.put(f"{system['sim']}/_sim/posts", json=truth, timeout=5).raise_for_status()
    body = {"campaign_id": system["demo"]["campaign_id"], "platform": "youtube", "url": url,
            "claimed_views": claim[0], "claimed_clicks": claim[1],
            "claimed_conversions": claim[2]}
    headers = _key(system["demo"], affiliate)
    started = time.monotonic()
    resp = requests.post(f"{system['api']}/api/v1/submissions", json=body, headers=headers,
                         timeout=10)
    assert resp.status_code == 202, resp.text
    link = system["api"] + resp.json()["links"]["report"]

    def done() -> dict | None:
        report = requests.get(link, headers=headers, timeout=5).json()
        return report if report["reconciliation"]["status"] != "PENDING" else None

    report = wait_for(done, 30, what="the report to be reconciled")
    return report, time.monotonic() - started


def test_an_overclaim_reads_critical_over_http(system: dict) -> None:
    report, elapsed = _reconcile(system, "Ada Affiliate", (1600, 50, 5))

    rec = report["reconciliation"]
    assert (rec["status"], rec["discrepancy_level"]) == ("AFFILIATE_OVERCLAIMED", "CRITICAL")
    assert rec["metrics"]["views"]["pct"] == pytest.approx(0.6)
    print(f"submission to outcome: {elapsed:.3f} s")


def test_an_honest_claim_matches_and_lifts_trust_to_051(system: dict) -> None:
    report, _ = _reconcile(system, "Ben Affiliate", (1000, 50, 5))

    assert report["reconciliation"]["status"] == "MATCHED"
    trust = requests.get(
        f"{system['api']}/api/v1/affiliates/{report['affiliate_id']}/trust",
        headers=_key(system["demo"], "Ben Affiliate"), timeout=5,
    ).json()
    assert trust["score"] == pytest.approx(0.51)
    assert [row["event"] for row in trust["ledger"]] == ["perfect_match"]


def test_flower_answers(system: dict) -> None:
    wait_for(lambda: requests.get(system["flower"] + "/healthcheck", timeout=2).ok, 60,
             what="flower")


def test_interrupting_up_leaves_no_process_behind(system: dict) -> None:
    proc: Proc = system["proc"]
    children = descendants(proc.popen.pid)
    assert len(children) >= 5  # sim, api (+ its workers), worker (+ pool), beat, flower, redis

    proc.popen.send_signal(signal.SIGINT)
    proc.popen.wait(timeout=60)

    wait_for(lambda: not [p for p in children if process_alive(p)], 30,
             what="every child of reconcile up to exit")

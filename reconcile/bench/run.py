"""One bench run, in order: stage, start, measure the engine, load the API, wait, report."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from reconcile.bench.cluster import Cluster, RssSampler, cpu_seconds
from reconcile.bench.load import LoadResult, drive
from reconcile.bench.measure import reconciled, wait_for_terminal
from reconcile.bench.noop import publish, wait_for_noops
from reconcile.bench.report import RunResult, latency_summary, per_second, summarise
from reconcile.bench.stage import BenchError, Stage, staged
from reconcile.bench.workload import create_fixtures, submissions
from reconcile.config import PLATFORMS

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Options:
    submissions: int = 2000
    concurrency: int = 16
    workers: int = 2
    api_workers: int = 2
    platform_latency_ms: int = 0
    offered_rate: float | None = None
    affiliates: int = 50
    noop_tasks: int = 2000
    drain_timeout: float = 300.0
    keep: bool = False


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, cluster: Cluster, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        cluster.check()
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.1)


def _set_latency(sim_url: str, latency_ms: int) -> None:
    for platform in PLATFORMS:
        body = json.dumps({"platform": platform, "mode": "none", "latency_ms": latency_ms})
        put = urllib.request.Request(f"{sim_url}/_sim/faults", body.encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(put, timeout=5).close()


def _point_at(stage: Stage) -> dict[str, str]:
    """Point this process and the children at the stage; return the children's environment."""
    from reconcile.bootstrap import active_rules

    own = {"DATABASE_URL": stage.database_url, "REDIS_URL": stage.redis_url,
           "RECONCILE_RULES": str(stage.rules_path), "RECONCILE_VAR_DIR": str(stage.run_dir)}
    os.environ.update(own)
    active_rules.cache_clear()
    return {**os.environ, **own}


def run_bench(opts: Options, database_url: str | None, redis_url: str | None) -> dict[str, Any]:
    """Run the bench and return its report."""
    with staged(database_url or "", redis_url or "", opts.keep) as stage:
        env = _point_at(stage)
        fixtures = create_fixtures(opts.affiliates)
        work = submissions(opts.submissions, fixtures)
        api_port, sim_port = free_port(), free_port()
        sim_url = f"http://{HOST}:{sim_port}"
        env["RECONCILE_PLATFORM_BASE_URL"] = sim_url
        cluster = Cluster(env, stage.run_dir)
        sampler = RssSampler(lambda: cluster.group_pids("api", "worker"))
        py = sys.executable
        try:
            cluster.spawn("sim", [py, "-m", "reconcile.cli", "sim", "--port", str(sim_port)])
            cluster.spawn("api", [py, "-m", "gunicorn", "--workers", str(opts.api_workers),
                                  "--threads", "4", "--bind", f"{HOST}:{api_port}",
                                  "--log-level", "warning", "api:create_app()"])
            _wait_http(f"{sim_url}/_sim/calls", cluster)
            _wait_http(f"http://{HOST}:{api_port}/healthz", cluster)
            _set_latency(sim_url, opts.platform_latency_ms)
            # Queued before the workers exist, so they measure consuming, not publishing.
            publish(stage.redis_url, opts.noop_tasks)
            cluster.spawn("worker", [py, "-m", "celery", "-A", "tasks", "worker",
                                     "-Q", "high,normal,low", "--concurrency", str(opts.workers),
                                     "--loglevel", "WARNING", "--without-mingle",
                                     "--without-gossip"])
            sampler.start()
            noops, noop_seconds = wait_for_noops(stage.redis_url, opts.noop_tasks, 300,
                                                 cluster.check)
            if noops < opts.noop_tasks - 1:
                raise BenchError(f"only {noops + 1} of {opts.noop_tasks} noop tasks ran")
            healthz = drive(HOST, api_port, "GET", "/healthz", [(None, {})] * min(
                opts.submissions, 2000), opts.concurrency)
            cpu = {name: cpu_seconds(pids)
                   for name, pids in cluster.group_pids("api", "worker").items()}
            load = drive(HOST, api_port, "POST", "/api/v1/submissions", work, opts.concurrency,
                         opts.offered_rate)
            cpu["api"] = cpu_seconds(cluster.group_pids("api")["api"]) - cpu["api"]
            done = wait_for_terminal(load.statuses.get(202, 0), opts.drain_timeout,
                                     cluster.check)
            cpu["worker"] = cpu_seconds(cluster.group_pids("worker")["worker"]) - cpu["worker"]
            figures = reconciled()
        finally:
            if sampler.is_alive():
                sampler.stop()
            cluster.stop()
        result = RunResult(
            submissions=opts.submissions, concurrency=opts.concurrency, workers=opts.workers,
            api_workers=opts.api_workers, platform_latency_ms=opts.platform_latency_ms,
            offered_rate=opts.offered_rate, submit_latencies_ms=load.latencies_ms,
            statuses=load.statuses, submit_seconds=load.seconds, reconciled=done,
            reconcile_seconds=figures.seconds, first_reconciliation_ms=figures.first_ms,
            noop_tasks=noops, noop_seconds=noop_seconds,
            worker_rss_mb_max=sampler.peak.get("worker", 0.0),
            api_rss_mb_max=sampler.peak.get("api", 0.0), outcomes=figures.outcomes,
            loadgen=_loadgen(healthz, load),
        )
    report = summarise(result)
    report["refusals"] = load.errors
    # CPU the processes spent per item: what the machine's cores allow at best.
    report["api_cpu_ms_per_submission"] = round(cpu["api"] * 1000 / max(len(work), 1), 2)
    report["worker_cpu_ms_per_reconciliation"] = round(cpu["worker"] * 1000 / max(done, 1), 2)
    report["machine"] = {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}
    return report


def _loadgen(healthz: LoadResult, load: LoadResult) -> dict[str, Any]:
    """The load generator's own cost: its rate against a trivial endpoint, and its CPU."""
    sent = max(sum(load.statuses.values()), 1)
    return {
        "healthz_per_s": per_second(len(healthz.latencies_ms), healthz.seconds),
        "healthz_latency_ms": latency_summary(healthz.latencies_ms),
        "cpu_ms_per_request": round(load.cpu_seconds * 1000 / sent, 3),
        "cpu_share_of_one_core": round(load.cpu_seconds / load.seconds, 3) if load.seconds else 0,
    }

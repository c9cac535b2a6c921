"""One bench run, in order: stage, start, measure the engine, load the API, wait, report."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from reconcile.bench import consumers
from reconcile.bench.cluster import Cluster, RssSampler, cpu_seconds
from reconcile.bench.load import LoadResult, drive
from reconcile.bench.measure import (
    Reconciled,
    last_report_id,
    reconciled,
    terminal_count,
    wait_for_terminal,
)
from reconcile.bench.noop import publish, wait_for_noops
from reconcile.bench.report import RunResult, latency_summary, per_second, summarise
from reconcile.bench.sink import Sink, webhook_sink
from reconcile.bench.stage import BenchError, Stage, check_urls, staged
from reconcile.bench.tracking import create_tracking_fixtures, postback_phase, redirect_phase
from reconcile.bench.workload import create_fixtures, submissions
from reconcile.commands import BENCH_TASKS, worker_argv
from reconcile.vocabulary import PLATFORMS

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
    backlog: int = 2000
    drain_timeout: float = 300.0
    keep: bool = False
    clicks: int = 2000  # the redirect phase (0: skip it)
    postbacks: int = 500  # the postback phase, on the redirect phase's clicks (0: skip it)
    busy_probe: int = 0  # the busy phase: submissions one at a time beside a drain (0: skip)
    busy_backlog: int = 3000  # what the workers drain during the busy phase
    webhooks: bool = False  # an alert webhook (a sink of the bench's) on the API and workers


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
    from reconcile.bootstrap import use_rules

    own = {"DATABASE_URL": stage.database_url, "REDIS_URL": stage.redis_url,
           "RECONCILE_RULES": str(stage.rules_path), "RECONCILE_VAR_DIR": str(stage.run_dir)}
    os.environ.update(own)
    use_rules(None)
    return {**os.environ, **own}


@dataclass
class Phase:
    """One load phase: what the load generator saw, and what the processes spent."""

    load: LoadResult
    reconciled: int
    figures: Reconciled
    api_cpu_seconds: float
    worker_cpu_seconds: float


def _cpu(cluster: Cluster, name: str) -> float:
    return cpu_seconds(cluster.group_pids(name)[name])


def _load_phase(cluster: Cluster, port: int, work: list, opts: Options, expected_done: int,
                rate: float | None, before: Callable[[], None] | None = None) -> Phase:
    """Send `work`, (optionally) run `before` the drain, wait for every report, measure."""
    first_id = last_report_id()
    api0 = _cpu(cluster, "api")
    # Live, the workers' CPU counts from the first submission; paused, from the drain.
    worker0 = _cpu(cluster, "worker") if before is None else 0.0
    load = drive(HOST, port, "POST", "/api/v1/submissions", work, opts.concurrency, rate)
    api_cpu = _cpu(cluster, "api") - api0
    if before is not None:
        worker0 = _cpu(cluster, "worker")
        before()
    done = wait_for_terminal(expected_done + load.statuses.get(202, 0), opts.drain_timeout,
                             cluster.check) - expected_done
    worker_cpu = _cpu(cluster, "worker") - worker0
    return Phase(load, done, reconciled(first_id), api_cpu, worker_cpu)


def to_stderr(line: str) -> None:
    """Print a progress line where it does not mix with the JSON report on stdout."""
    print(line, file=sys.stderr, flush=True)


def run_bench(opts: Options, database_url: str | None, redis_url: str | None,
              progress: Callable[[str], None] = to_stderr) -> dict[str, Any]:
    """Run the bench and return its report; say each phase as it starts to `progress`."""
    started = time.monotonic()

    def say(phase: str) -> None:
        progress(f"bench [{time.monotonic() - started:6.1f}s] {phase}")

    check_urls(database_url, redis_url)  # a refusal stays the only line printed
    say("staging a fresh database and Redis index")
    with staged(database_url or "", redis_url or "", opts.keep) as stage, \
            _webhooks(opts.webhooks) as sink:
        env = _point_at(stage)
        if sink is not None:
            env["ALERT_WEBHOOK_URLS"] = sink.url
        fixtures = create_fixtures(opts.affiliates)
        live_work = submissions(opts.submissions, fixtures)
        backlog_work = submissions(opts.backlog, fixtures)
        api_port, sim_port = free_port(), free_port()
        sim_url = f"http://{HOST}:{sim_port}"
        env["RECONCILE_PLATFORM_BASE_URL"] = sim_url
        cluster = Cluster(env, stage.run_dir)
        sampler = RssSampler(lambda: cluster.group_pids("api", "worker"))
        py = sys.executable
        try:
            say(f"starting the simulator and the API ({opts.api_workers} gunicorn workers)")
            cluster.spawn("sim", [py, "-m", "reconcile.cli", "sim", "--port", str(sim_port)])
            cluster.spawn("api", [py, "-m", "gunicorn", "--workers", str(opts.api_workers),
                                  "--threads", "4", "--bind", f"{HOST}:{api_port}",
                                  "--log-level", "warning", "api:create_app()"])
            _wait_http(f"{sim_url}/_sim/calls", cluster)
            _wait_http(f"http://{HOST}:{api_port}/healthz", cluster)
            _set_latency(sim_url, opts.platform_latency_ms)
            # Queued before the workers exist, so they measure consuming, not publishing.
            publish(stage.redis_url, opts.noop_tasks)
            say(f"no-op baseline: {opts.noop_tasks} tasks on {opts.workers} worker processes")
            cluster.spawn("worker", worker_argv(opts.workers, python=py, loglevel="WARNING",
                                                include=[BENCH_TASKS]))
            sampler.start()
            noops, noop_seconds = wait_for_noops(stage.redis_url, opts.noop_tasks, 300,
                                                 cluster.check)
            if noops < opts.noop_tasks - 1:
                raise BenchError(f"only {noops + 1} of {opts.noop_tasks} noop tasks ran")
            say("load generator baseline: GET /healthz")
            api_before = _cpu(cluster, "api")
            healthz = drive(HOST, api_port, "GET", "/healthz", [(None, {})] * min(
                opts.submissions, 2000), opts.concurrency)
            healthz.api_cpu_seconds = _cpu(cluster, "api") - api_before
            # Live: submissions and reconciliations share the machine, as in production.
            say(f"live phase: {len(live_work)} submissions while the workers reconcile")
            live = _load_phase(cluster, api_port, live_work, opts, 0, opts.offered_rate)
            # Capacity: the API alone builds a backlog, then the workers alone drain it.
            capacity = None
            if backlog_work:
                say(f"capacity phase: a backlog of {len(backlog_work)}, then the drain")
                consumers.pause(stage.redis_url)
                capacity = _load_phase(cluster, api_port, backlog_work, opts, live.reconciled,
                                       None, lambda: consumers.resume(stage.redis_url))
            busy = None
            if opts.busy_probe:
                say(f"busy phase: a backlog of {opts.busy_backlog}, then {opts.busy_probe} "
                    "submissions one at a time while the workers drain it")
                done = live.reconciled + (capacity.reconciled if capacity else 0)
                busy = _busy_phase(api_port, stage.redis_url, opts, fixtures, done)
            tracking = _tracking_phases(opts, api_port, stage, cluster, say)
        finally:
            if sampler.is_alive():
                sampler.stop()
            say("stopping the processes")
            cluster.stop()
    say("done")
    report = _report(opts, live, capacity, noops, noop_seconds, sampler, healthz)
    if sink is not None:
        report["webhook_deliveries"] = sink.received
    if busy is not None:
        report["busy"] = busy
    report.update(tracking)
    return report


def _busy_phase(port: int, redis_url: str, opts: Options, fixtures: Any,
                done_before: int) -> dict[str, Any]:
    """The API's latency for one caller while the workers are busy: a backlog is queued
    with the consumers paused, they resume, and at once `busy_probe` submissions go one at a
    time. `backlog_left_after_probe` > 0 shows the workers drained throughout."""
    consumers.pause(redis_url)
    queued = drive(HOST, port, "POST", "/api/v1/submissions",
                   submissions(opts.busy_backlog, fixtures), opts.concurrency, None)
    queued_done = terminal_count()
    consumers.resume(redis_url)
    # The probe starts once the drain is under way (the consumers take a moment to start).
    under_way = queued_done + max(1, min(100, opts.busy_backlog // 10))
    deadline = time.monotonic() + 60
    while terminal_count() < under_way and time.monotonic() < deadline:
        time.sleep(0.05)
    before_probe = terminal_count()
    probe = drive(HOST, port, "POST", "/api/v1/submissions",
                  submissions(opts.busy_probe, fixtures), 1, None)
    expected = done_before + queued.statuses.get(202, 0) + probe.statuses.get(202, 0)
    left = expected - terminal_count()
    started = time.monotonic()
    wait_for_terminal(expected, opts.drain_timeout, lambda: None)
    return {
        "backlog": opts.busy_backlog, "probe": opts.busy_probe,
        "submit_latency_ms": latency_summary(probe.latencies_ms),
        "probe_seconds": round(probe.seconds, 3),
        "reconciled_before_probe": before_probe - queued_done,
        "backlog_left_after_probe": left,
        "drain_after_probe_seconds": round(time.monotonic() - started, 3),
        "queued_statuses": {str(k): v for k, v in sorted(queued.statuses.items())},
        "http_statuses": {str(k): v for k, v in sorted(probe.statuses.items())},
    }


def _tracking_phases(opts: Options, port: int, stage: Stage, cluster: Cluster,
                     say: Callable[[str], None]) -> dict[str, Any]:
    """The redirect phase, then postbacks on its clicks, beside /healthz of the same run."""
    out: dict[str, Any] = {}
    if not opts.clicks:
        return out
    fixtures = create_tracking_fixtures()
    say(f"redirect phase: {opts.clicks} clicks on one tracked link, then the drain")
    out["redirect"] = redirect_phase(HOST, port, fixtures, opts.clicks, opts.concurrency,
                                     stage.redis_url, opts.drain_timeout, cluster.check,
                                     lambda: _cpu(cluster, "api"))
    if opts.postbacks:
        say(f"postback phase: {opts.postbacks} conversion postbacks")
        out["postback"] = postback_phase(HOST, port, fixtures, opts.postbacks,
                                         opts.concurrency, lambda: _cpu(cluster, "api"))
    return out


@contextmanager
def _webhooks(wanted: bool) -> Iterator[Sink | None]:
    if not wanted:
        yield None
        return
    with webhook_sink(HOST) as sink:
        yield sink


def _report(opts: Options, live: Phase, capacity: Phase | None, noops: int,
            noop_seconds: float, sampler: RssSampler, healthz: LoadResult) -> dict[str, Any]:
    drained = capacity or live
    statuses = dict(live.load.statuses)
    for status, count in (capacity.load.statuses.items() if capacity else ()):
        statuses[status] = statuses.get(status, 0) + count
    result = RunResult(
        submissions=opts.submissions, concurrency=opts.concurrency, workers=opts.workers,
        api_workers=opts.api_workers, platform_latency_ms=opts.platform_latency_ms,
        offered_rate=opts.offered_rate, submit_latencies_ms=live.load.latencies_ms,
        statuses=statuses, submit_seconds=live.load.seconds,
        accepted_live=live.load.statuses.get(202, 0),
        reconciled=live.reconciled + (capacity.reconciled if capacity else 0),
        reconcile_seconds=drained.figures.busy_seconds if capacity else live.figures.seconds,
        reconciled_measured=drained.reconciled,
        first_reconciliation_ms=live.figures.first_ms,
        noop_tasks=noops, noop_seconds=noop_seconds,
        worker_rss_mb_max=sampler.peak.get("worker", 0.0),
        api_rss_mb_max=sampler.peak.get("api", 0.0),
        outcomes=_merged(live.figures.outcomes, capacity.figures.outcomes if capacity else {}),
        loadgen=_loadgen(healthz, live.load),
    )
    report = summarise(result)
    report["refusals"] = live.load.errors + (capacity.load.errors if capacity else [])
    # CPU the processes spent per item: what the machine's cores allow at best.
    report["api_cpu_ms_per_submission"] = _per_item_ms(live.api_cpu_seconds, len(
        live.load.latencies_ms))
    report["worker_cpu_ms_per_reconciliation"] = _per_item_ms(drained.worker_cpu_seconds,
                                                              drained.reconciled)
    report["live"] = {
        "reconciliations_per_s": per_second(live.reconciled, live.figures.seconds),
        "worker_cpu_ms_per_reconciliation": _per_item_ms(live.worker_cpu_seconds,
                                                         live.reconciled),
    }
    if capacity is not None:
        report["capacity"] = {
            "backlog": opts.backlog,
            "submit_latency_ms": latency_summary(capacity.load.latencies_ms),
            "submissions_per_s": per_second(capacity.load.statuses.get(202, 0),
                                            capacity.load.seconds),
            "api_cpu_ms_per_submission": _per_item_ms(capacity.api_cpu_seconds,
                                                      len(capacity.load.latencies_ms)),
            "drain_seconds": round(capacity.figures.busy_seconds, 3),
        }
    report["machine"] = {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}
    return report


def _per_item_ms(seconds: float, items: int) -> float:
    return round(seconds * 1000 / max(items, 1), 2)


def _merged(*counts: dict[str, int]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for key, value in count.items():
            total[key] = total.get(key, 0) + value
    return total


def _per_request(load: LoadResult) -> float:
    """The API's CPU per request of a phase (all its processes), in ms."""
    return round(load.api_cpu_seconds * 1000 / max(sum(load.statuses.values()), 1), 3)


def _loadgen(healthz: LoadResult, load: LoadResult) -> dict[str, Any]:
    """The load generator's own cost: its rate against a trivial endpoint, and its CPU."""
    sent = max(sum(load.statuses.values()), 1)
    return {
        "healthz_per_s": per_second(len(healthz.latencies_ms), healthz.seconds),
        "healthz_latency_ms": latency_summary(healthz.latencies_ms),
        "healthz_api_cpu_ms_per_request": _per_request(healthz),
        "cpu_ms_per_request": round(load.cpu_seconds * 1000 / sent, 3),
        "cpu_share_of_one_core": round(load.cpu_seconds / load.seconds, 3) if load.seconds else 0,
    }

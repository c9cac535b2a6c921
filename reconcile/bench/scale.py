"""`reconcile bench --scale`: does the cost of a request stay flat as the data grows?

One run, one database: the read and write phases on the (nearly) empty database, then
`seed` COPYs a large history into the same campaign, then the same phases again. Each
figure is the median over `rounds` rounds (a read's figure in a round is the median of
`repeats` sequential requests; the submit figure is the p50 of one closed-loop phase), and
`ratio` is scaled ÷ empty. Only the API runs (no workers, no simulator): reads and
submissions do not wait on them, and reconciling the submissions would only add noise.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconcile.bench.cluster import Cluster
from reconcile.bench.load import drive
from reconcile.bench.report import percentile
from reconcile.bench.seed import SeedPlan, seed
from reconcile.bench.stage import BenchError, check_urls, staged
from reconcile.bench.workload import Fixtures, create_fixtures, submissions
from reconcile.vocabulary import Role

HOST = "127.0.0.1"
TARGET_RATIO = 2.0  # issue 19: each figure at most twice its figure on an empty database


@dataclass(frozen=True)
class ScaleOptions:
    reports: int = 1_000_000
    posts: int = 100_000
    affiliates: int = 50
    submissions: int = 200  # per round and database
    concurrency: int = 16
    api_workers: int = 2
    rounds: int = 3
    repeats: int = 5
    keep: bool = False


@dataclass(frozen=True)
class Read:
    name: str
    path: str
    role: str  # whose key asks: the dashboard's operator (ADMIN) or the advertiser (CLIENT)


def reads(campaign_id: int) -> list[Read]:
    """The read side a user waits on: the report lists, analytics, the dashboard's queries."""
    return [
        Read("submissions_list", "/api/v1/submissions?limit=50", Role.ADMIN),
        Read("submissions_list_campaign",
             f"/api/v1/submissions?campaign_id={campaign_id}&limit=50", Role.CLIENT),
        Read("results_list", "/api/v1/reconciliation/results?limit=50", Role.ADMIN),
        Read("results_list_campaign",
             f"/api/v1/reconciliation/results?campaign_id={campaign_id}&limit=50", Role.CLIENT),
        Read("campaign_analytics", f"/api/v1/campaigns/{campaign_id}/analytics", Role.CLIENT),
        Read("dashboard_timeline", "/api/v1/reconciliation/timeline?hours=24", Role.ADMIN),
        Read("dashboard_discrepancies", "/api/v1/reconciliation/discrepancies", Role.ADMIN),
        Read("dashboard_buckets", "/api/v1/affiliates/buckets", Role.ADMIN),
        Read("dashboard_open_counts", "/api/v1/alerts/open-counts", Role.ADMIN),
        Read("dashboard_open_alerts", "/api/v1/alerts?status=OPEN&limit=20", Role.ADMIN),
    ]


@dataclass(frozen=True)
class ScaleFixtures:
    base: Fixtures
    affiliate_ids: list[int]
    keys: dict[str, str]  # role -> API key


def create_scale_fixtures(affiliates: int) -> ScaleFixtures:
    """The bench's client, campaign and affiliates, plus an admin and the client's user."""
    from sqlalchemy import select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Campaign, User
    from reconcile.services.admin import accounts

    base = create_fixtures(affiliates)
    with unit_of_work() as uow:
        client_id = uow.session.scalar(select(Campaign.client_id)
                                       .where(Campaign.id == base.campaign_id))
        affiliate_ids = list(uow.session.scalars(
            select(User.id).where(User.role == Role.AFFILIATE).order_by(User.id)))
    admin = accounts.create_user(Role.ADMIN, "Bench Admin", "admin@bench.invalid")
    client = accounts.create_user(Role.CLIENT, "Bench Advertiser", "client@bench.invalid",
                                  client_id=client_id)
    return ScaleFixtures(base, affiliate_ids,
                         {Role.ADMIN: admin["api_key"], Role.CLIENT: client["api_key"]})


def _read_ms(port: int, read: Read, key: str, repeats: int) -> float:
    """Median latency of `repeats` sequential GETs; any non-200 answer stops the run."""
    headers = {"Authorization": f"Bearer {key}"}
    load = drive(HOST, port, "GET", read.path, [(None, headers)] * repeats, 1)
    if set(load.statuses) != {200}:
        raise BenchError(f"{read.path} answered {load.statuses}: {load.errors[:1]}")
    return statistics.median(load.latencies_ms)


def _round(port: int, fx: ScaleFixtures, opts: ScaleOptions) -> dict[str, float]:
    """One round: a closed-loop submit phase, then every read."""
    work = submissions(opts.submissions, fx.base)
    load = drive(HOST, port, "POST", "/api/v1/submissions", work, opts.concurrency)
    if load.statuses.get(202, 0) != len(work):
        raise BenchError(f"submissions answered {load.statuses}: {load.errors[:1]}")
    figures = {"submit_p50": percentile(load.latencies_ms, 50) or 0.0}
    for read in reads(fx.base.campaign_id):
        figures[read.name] = _read_ms(port, read, fx.keys[read.role], opts.repeats)
    return figures


def _phase(port: int, fx: ScaleFixtures, opts: ScaleOptions,
           say: Callable[[str], None], label: str) -> dict[str, Any]:
    rounds = []
    for i in range(opts.rounds):
        say(f"{label}: round {i + 1} of {opts.rounds}")
        rounds.append(_round(port, fx, opts))
    return {name: {"median_ms": round(statistics.median(r[name] for r in rounds), 2),
                   "rounds_ms": [round(r[name], 2) for r in rounds]} for name in rounds[0]}


def compare(empty: dict[str, Any], scaled: dict[str, Any]) -> dict[str, Any]:
    """Each figure's medians side by side, the ratio scaled ÷ empty and whether it is ≤ 2×."""
    out = {}
    for name, before in empty.items():
        after = scaled[name]
        ratio = after["median_ms"] / before["median_ms"] if before["median_ms"] else None
        out[name] = {"empty_ms": before["median_ms"], "scaled_ms": after["median_ms"],
                     "ratio": None if ratio is None else round(ratio, 2),
                     "flat": ratio is not None and ratio <= TARGET_RATIO,
                     "empty_rounds_ms": before["rounds_ms"],
                     "scaled_rounds_ms": after["rounds_ms"]}
    return out


def _seed(stage_url: str, fx: ScaleFixtures, opts: ScaleOptions,
          say: Callable[[str], None]) -> dict[str, Any]:
    import sqlalchemy as sa

    engine = sa.create_engine(stage_url)
    try:
        raw = engine.raw_connection()
        try:
            plan = SeedPlan(fx.base.campaign_id, fx.affiliate_ids, opts.reports, opts.posts)
            return seed(raw.driver_connection, plan, say).as_dict()
        finally:
            raw.close()
    finally:
        engine.dispose()


def run_scale(opts: ScaleOptions, database_url: str | None, redis_url: str | None,
              progress: Callable[[str], None]) -> dict[str, Any]:
    """Measure on the empty database, seed it, measure again; return the report."""
    from reconcile.bench.run import _point_at, _wait_http, free_port

    if opts.posts > opts.reports:
        raise BenchError("--posts must not exceed --reports (every post has a report)")
    started = time.monotonic()

    def say(line: str) -> None:
        progress(f"bench --scale [{time.monotonic() - started:6.1f}s] {line}")

    check_urls(database_url, redis_url)
    say("staging a fresh database and Redis index")
    with staged(database_url or "", redis_url or "", opts.keep) as stage:
        env = _point_at(stage)
        fx = create_scale_fixtures(opts.affiliates)
        port = free_port()
        cluster = Cluster(env, stage.run_dir)
        try:
            say(f"starting the API ({opts.api_workers} gunicorn workers)")
            cluster.spawn("api", [sys.executable, "-m", "gunicorn", "--workers",
                                  str(opts.api_workers), "--threads", "4", "--bind",
                                  f"{HOST}:{port}", "--log-level", "warning",
                                  "api:create_app()"])
            _wait_http(f"http://{HOST}:{port}/healthz", cluster)
            empty = _phase(port, fx, opts, say, "empty database")
            load_empty = round(os.getloadavg()[0], 2)
            say(f"seeding {opts.reports:,} reports over {opts.posts:,} posts with COPY")
            seeded = _seed(stage.database_url, fx, opts, say)
            cluster.check()
            scaled = _phase(port, fx, opts, say, "scaled database")
            load_scaled = round(os.getloadavg()[0], 2)
        finally:
            say("stopping the API")
            cluster.stop()
    figures = compare(empty, scaled)
    return {
        "scale": {"reports": opts.reports, "posts": opts.posts, "campaign_id":
                  fx.base.campaign_id, "affiliates": opts.affiliates},
        "seeded": seeded, "rounds": opts.rounds, "repeats": opts.repeats,
        "submissions_per_round": opts.submissions, "concurrency": opts.concurrency,
        "api_workers": opts.api_workers, "figures": figures,
        "flat": sorted(n for n, f in figures.items() if f["flat"]),
        "not_flat": sorted(n for n, f in figures.items() if not f["flat"]),
        "machine": {"cpus": os.cpu_count(), "load_avg_1m_empty": load_empty,
                    "load_avg_1m_scaled": load_scaled},
    }


def to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)

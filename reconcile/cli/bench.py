"""`reconcile bench`: measure the pipeline on a private cluster and print one JSON report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from reconcile.cli.common import friendly, main, print_json


@main.command()
@click.option("--submissions", default=2000, show_default=True, type=click.IntRange(1, 10**6))
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 1024))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Celery worker processes (one worker, prefork pool of this size).")
@click.option("--api-workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn worker processes (4 threads each).")
@click.option("--platform-latency-ms", default=0, show_default=True,
              type=click.IntRange(0, 600_000), help="Simulator latency on every platform.")
@click.option("--offered-rate", type=click.FloatRange(0.1, 100_000), default=None,
              help="Open loop: submissions per second, sent on schedule whatever the answers.")
@click.option("--backlog", default=None, type=click.IntRange(0, 10**6),
              help="Submissions queued while the workers are paused, then drained: the "
                   "capacity phase that reconciliations_per_s measures (0: skip it)  "
                   "[default: min(submissions, 2000)]")
@click.option("--affiliates", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--noop-tasks", default=None, type=click.IntRange(2, 10**6),
              help="No-op tasks for the engine baseline  [default: max(submissions, 500)]")
@click.option("--drain-timeout", default=300.0, show_default=True,
              type=click.FloatRange(1, 86_400),
              help="Seconds to wait for every report to finish; the rest count as lost.")
@click.option("--clicks", default=2000, show_default=True, type=click.IntRange(0, 10**6),
              help="Redirects of the redirect phase (0: skip it).")
@click.option("--postbacks", default=500, show_default=True, type=click.IntRange(0, 10**6),
              help="Conversion postbacks of the postback phase (0: skip it).")
@click.option("--scale", is_flag=True,
              help="Instead: measure reads and submissions on an empty database, seed a "
                   "large history with COPY, measure again and print the ratios "
                   "(--submissions is then per round, default 200).")
@click.option("--reports", default=1_000_000, show_default=True,
              type=click.IntRange(1, 10**8), help="--scale: reports to seed.")
@click.option("--posts", default=100_000, show_default=True, type=click.IntRange(1, 10**8),
              help="--scale: posts to seed (the reports are spread over them).")
@click.option("--rounds", default=3, show_default=True, type=click.IntRange(1, 100),
              help="--scale: rounds per database; each figure is their median.")
@click.option("--repeats", default=5, show_default=True, type=click.IntRange(1, 1000),
              help="--scale: requests per read and round (their median is the round's).")
@click.option("--busy-probe", default=0, show_default=True, type=click.IntRange(0, 10**6),
              help="Busy phase: this many submissions one at a time while the workers drain "
                   "--busy-backlog (0: skip it).")
@click.option("--busy-backlog", default=3000, show_default=True, type=click.IntRange(1, 10**6),
              help="Busy phase: submissions queued (workers paused) for the workers to drain.")
@click.option("--webhooks", is_flag=True,
              help="Configure an alert webhook (a receiver the bench serves) on the API and "
                   "the workers, so each alert is delivered as in a deployment with webhooks.")
@click.option("--keep", is_flag=True, help="Keep the bench database and the process logs.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the report to this file.")
@friendly
def bench(submissions: int, concurrency: int, workers: int, api_workers: int,
          platform_latency_ms: int, offered_rate: float | None, backlog: int | None,
          affiliates: int,
          noop_tasks: int | None, drain_timeout: float, clicks: int, postbacks: int,
          scale: bool, reports: int, posts: int, rounds: int, repeats: int, busy_probe: int,
          busy_backlog: int, webhooks: bool, keep: bool, json_file: Path | None) -> None:
    """Run the API, workers and simulator on a fresh database and load them over HTTP.

    With --scale: how reads and submissions cost on a large database against an empty one.
    """
    from reconcile.config import normalise_database_url, redis_client_url

    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    database_url = database_url and normalise_database_url(database_url)
    redis_url = redis_url and redis_client_url(redis_url)
    if scale:
        from reconcile.bench.scale import ScaleOptions, run_scale, to_stderr

        given = click.get_current_context().get_parameter_source("submissions")
        per_round = submissions if given == click.core.ParameterSource.COMMANDLINE else 200
        report = run_scale(ScaleOptions(
            reports=reports, posts=posts, affiliates=affiliates, submissions=per_round,
            concurrency=concurrency, api_workers=api_workers, rounds=rounds, repeats=repeats,
            keep=keep), database_url, redis_url, to_stderr)
        _emit(report, json_file)
        return
    from reconcile.bench.run import Options, run_bench

    opts = Options(
        submissions=submissions, concurrency=concurrency, workers=workers,
        api_workers=api_workers, platform_latency_ms=platform_latency_ms,
        offered_rate=offered_rate, affiliates=affiliates,
        backlog=min(submissions, 2000) if backlog is None else backlog,
        noop_tasks=noop_tasks or max(submissions, 500), drain_timeout=drain_timeout,
        keep=keep, clicks=clicks, postbacks=postbacks, busy_probe=busy_probe,
        busy_backlog=busy_backlog, webhooks=webhooks,
    )
    _emit(run_bench(opts, database_url, redis_url), json_file)


def _emit(report: dict, json_file: Path | None) -> None:
    if json_file is not None:
        json_file.write_text(json.dumps(report, indent=2) + "\n")
    print_json(report)

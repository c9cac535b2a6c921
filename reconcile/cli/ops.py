"""Operator tools: what an adapter sees, bulk re-reconciliation, the risk summary."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from reconcile.cli.common import friendly, main, print_json
from reconcile.cli.usage import OneLineCommand
from reconcile.vocabulary import PLATFORMS

DATES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


@main.command(cls=OneLineCommand)
@click.argument("platform", type=click.Choice(PLATFORMS))
@click.argument("url")
@friendly
def fetch(platform: str, url: str) -> None:
    """Print what PLATFORM's adapter sees for URL: post id, metrics or missing_reason."""
    from reconcile.services.reads.probe import probe

    print_json(probe(platform, url))


@main.command(cls=OneLineCommand)
@click.option("--campaign", "campaign_id", type=int, default=None)
@click.option("--platform", type=click.Choice(PLATFORMS), default=None)
@click.option("--status", default=None, help="A reconciliation status, e.g. DISCREPANCY_HIGH.")
@click.option("--since", type=click.DateTime(DATES), default=None,
              help="Only reports submitted since this date (UTC).")
@friendly
def rereconcile(campaign_id: int | None, platform: str | None, status: str | None,
                since: datetime | None) -> None:
    """Re-run the latest report of every post in scope, at low priority."""
    from reconcile.services.audit import CLI
    from reconcile.services.reconciliation.bulk_rerun import Scope, count_in_scope
    from reconcile.services.reconciliation.bulk_rerun import rereconcile as run

    scope = Scope(campaign_id, platform, status.upper() if status else None,
                  since.replace(tzinfo=UTC) if since else None)
    total = count_in_scope(scope)
    sent = 0
    with click.progressbar(length=total, label="dispatching", file=sys.stderr) as bar:
        for ok, seen in run(scope, CLI):
            sent += ok
            bar.update(seen)
    click.echo(f"dispatched {sent} of {total} report(s) at low priority")
    if sent < total:
        raise click.ClickException(f"{total - sent} dispatch(es) failed (is the broker up?); "
                                   "they are recorded: the sweep sends them once it is back")


@main.command("risk-summary", cls=OneLineCommand)
@friendly
def risk_summary() -> None:
    """Print the last 24 hours' risk summary (what the daily webhook message carries)."""
    from reconcile.services.alerts.risk_summary import risk_summary as summarise

    print_json(summarise())

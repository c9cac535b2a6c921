"""Payouts from the command line: `reconcile payouts run --period-end DATE`."""

from __future__ import annotations

import click

from reconcile.cli.common import friendly, main, print_json


@main.group()
def payouts() -> None:
    """Earnings payouts."""


@payouts.command("run")
@click.option("--period-end", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="Pay approved entries created up to the end of this UTC day (YYYY-MM-DD).")
@click.option("--min-payout", type=click.IntRange(0, 10**15), default=0, show_default=True,
              help="Smallest balance paid, in minor units; smaller ones carry over.")
@friendly
def payouts_run(period_end, min_payout: int) -> None:
    """Pay every approved balance up to the period's end, in one transaction; the same
    period again prints the payout already made and writes nothing."""
    from reconcile.services.audit import CLI
    from reconcile.services.earnings.payouts import run_payout

    body, new = run_payout(period_end.date(), min_payout, CLI)
    print_json({**body, "created": new})

"""Payouts and the ledger from the command line: `reconcile payouts run --period-end DATE`,
`reconcile earnings approve`."""

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


@main.group()
def earnings() -> None:
    """The earnings ledger."""


@earnings.command("approve")
@friendly
def earnings_approve() -> None:
    """Approve now every pending entry whose validation window has passed (what the beat
    task does every few minutes); print how many."""
    from reconcile.services.earnings.approval import approve_due

    print_json({"approved": approve_due()})

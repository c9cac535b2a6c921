"""Observability: the SLO table and the incident snapshot."""

from __future__ import annotations

from reconcile.cli.common import friendly, main, print_json
from reconcile.cli.usage import OneLineCommand


@main.command(cls=OneLineCommand)
@friendly
def slo() -> None:
    """Print each runbook signal over its recent window as {value, target, ok}."""
    from reconcile.services.reads.slo import slo_report

    print_json(slo_report())


@main.command(cls=OneLineCommand)
@friendly
def status() -> None:
    """Print an incident snapshot: queues, statuses (24 h), breakers, open alerts."""
    from reconcile.services.reads.status import snapshot

    print_json(snapshot())

"""Read the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from reconcile.cli.common import friendly, main
from reconcile.cli.usage import OneLineCommand

DATES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


@main.command(cls=OneLineCommand)
@click.option("--actor", default=None, help="A user id (or user:<id>), cli or system.")
@click.option("--action", default=None, help="e.g. user.created, intake.paused.")
@click.option("--since", type=click.DateTime(DATES), default=None, help="UTC date or time.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@friendly
def audit(actor: str | None, action: str | None, since: datetime | None, limit: int) -> None:
    """Print audit events, newest first, one JSON object per line."""
    from reconcile.services.audit import list_events

    for event in list_events(actor=actor, action=action, limit=limit,
                             since=since.replace(tzinfo=UTC) if since else None):
        click.echo(json.dumps(event))

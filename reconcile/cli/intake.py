"""Contain an incident: pause or resume submissions; read the queues."""

from __future__ import annotations

import click

from reconcile.cli.common import friendly, main, print_json


@main.group()
def intake() -> None:
    """Pause or resume submissions (paused: 503 INTAKE_PAUSED)."""


@intake.command("pause")
@friendly
def intake_pause() -> None:
    """Refuse new submissions until resumed."""
    from reconcile.services.audit import CLI
    from reconcile.services.intake.control import set_paused

    set_paused(True, CLI)
    click.echo("intake paused: submissions get 503 INTAKE_PAUSED")


@intake.command("resume")
@friendly
def intake_resume() -> None:
    """Accept submissions again."""
    from reconcile.services.audit import CLI
    from reconcile.services.intake.control import set_paused

    set_paused(False, CLI)
    click.echo("intake resumed")


@main.command()
@friendly
def queues() -> None:
    """Print queue depths, scheduled retries and the oldest ready job's age."""
    from reconcile.services.reads.queues import queues_snapshot

    print_json(queues_snapshot())

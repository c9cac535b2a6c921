"""See the platforms' breakers; switch a platform off and on."""

from __future__ import annotations

import click

from reconcile.cli.common import friendly, main, print_json

COLUMNS = ("platform", "state", "fail_counter", "opened_at", "seconds_until_half_open")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@friendly
def breakers(as_json: bool) -> None:
    """Show every platform's circuit breaker as the worker pool shares it."""
    from reconcile.services.admin.platform_ops import breaker_states

    states = breaker_states()
    if as_json:
        print_json(states)
        return
    rows = [COLUMNS] + [
        (name, s["state"], str(s["fail_counter"]), s["opened_at"] or "-",
         "-" if s["seconds_until_half_open"] is None else str(s["seconds_until_half_open"]))
        for name, s in states.items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@main.group()
def platforms() -> None:
    """Switch platforms off (their reports wait) and on again."""


def _switch(name: str, active: bool) -> None:
    from reconcile.services.admin.platforms import set_platform_active
    from reconcile.services.audit import CLI

    result = set_platform_active(name, active, CLI)
    click.echo(f"{result['name']}: {'enabled' if result['is_active'] else 'disabled'}")


@platforms.command("enable")
@click.argument("name")
@friendly
def platforms_enable(name: str) -> None:
    """Enable a platform; reports waiting for it are dispatched at once."""
    _switch(name, True)


@platforms.command("disable")
@click.argument("name")
@friendly
def platforms_disable(name: str) -> None:
    """Disable a platform; its reports wait without spending attempts."""
    _switch(name, False)

"""Inspect and validate the reconciliation rules."""

from __future__ import annotations

import click

from reconcile.cli.common import friendly, main, print_json


@main.group()
def rules() -> None:
    """Inspect and validate the reconciliation rules."""


@rules.command("show")
@friendly
def rules_show() -> None:
    """Print the effective rules and their version."""
    from reconcile.bootstrap import active_rules

    r = active_rules()
    print_json({"version": r.version, "rules": r.as_dict()})


@rules.command("check")
@click.argument("path")  # the loader reports an unreadable path in one line
@friendly
def rules_check(path: str) -> None:
    """Validate a rules file; print its version."""
    from reconcile.rules import load_rules

    r = load_rules(path)
    click.echo(f"ok: {path} is valid (version {r.version})")

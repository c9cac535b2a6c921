"""Tracked links and conversion postbacks: a link's numbers, a client's postback secret."""

from __future__ import annotations

import click

from reconcile.cli.common import friendly, main, print_json


@main.group()
def links() -> None:
    """Tracked links."""


@links.command("stats")
@click.argument("code")
@friendly
def links_stats(code: str) -> None:
    """Print a link's counted and filtered clicks and its counted conversions."""
    from reconcile.services.principal import SYSTEM
    from reconcile.services.tracking.links import link_stats

    print_json(link_stats(SYSTEM, code))


@main.group()
def postbacks() -> None:
    """Conversion postbacks."""


@postbacks.command("secret")
@click.option("--client-id", type=click.IntRange(1, 2**62), required=True)
@friendly
def postbacks_secret(client_id: int) -> None:
    """Make a new postback secret for the client and print it once (the old one stops
    working)."""
    from reconcile.services.audit import CLI
    from reconcile.services.principal import SYSTEM
    from reconcile.services.tracking.postback_secrets import rotate_secret

    print_json(rotate_secret(SYSTEM, client_id, CLI))

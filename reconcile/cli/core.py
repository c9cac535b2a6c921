"""Run, migrate, and manage clients and users."""

from __future__ import annotations

import sys

import click

from reconcile.cli.common import friendly, main, print_json, text_option
from reconcile.cli.usage import OneLineCommand
from reconcile.vocabulary import Role, values


@main.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--demo", is_flag=True, help="Seed demo data and print keys and a sample curl.")
@click.option("--api-port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--sim-port", default=8081, show_default=True, type=click.IntRange(1, 65535))
@click.option("--flower-port", default=5555, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-flower", is_flag=True)
@click.option("--no-sim", is_flag=True)
@friendly
def up(workers: int, demo: bool, api_port: int, sim_port: int, flower_port: int,
       no_flower: bool, no_sim: bool) -> None:
    """Migrate, then run the API, workers, beat, Flower and the simulator."""
    from reconcile.supervisor import run_up

    sys.exit(run_up(workers=workers, demo=demo, api_port=api_port, sim_port=sim_port,
                    flower_port=flower_port, flower=not no_flower, sim=not no_sim))


@main.command()
@friendly
def migrate() -> None:
    """Bring the database schema to the newest revision."""
    from reconcile.persistence.migrate import upgrade

    upgrade()
    click.echo("database is at the newest revision")


@main.group()
def clients() -> None:
    """Manage clients (advertisers)."""


@clients.command("create", cls=OneLineCommand)
@click.option("--name", required=True, callback=text_option)
@friendly
def clients_create(name: str) -> None:
    """Create a client and print it as JSON."""
    from reconcile.services.admin.accounts import create_client
    from reconcile.services.audit import CLI

    if not name.strip() or len(name) > 200:
        raise click.BadParameter("must be 1-200 characters", param_hint="--name")
    print_json(create_client(name.strip(), CLI))


@main.group()
def users() -> None:
    """Manage users and their API keys."""


@users.command("create", cls=OneLineCommand)
@click.option("--role", required=True,
              type=click.Choice(values(Role), case_sensitive=False))
@click.option("--name", required=True, callback=text_option)
@click.option("--email", required=True, callback=text_option)
@click.option("--client-id", type=int, default=None)
@friendly
def users_create(role: str, name: str, email: str, client_id: int | None) -> None:
    """Create a user and print it as JSON with its API key (shown only now)."""
    from reconcile.services.admin.accounts import create_user
    from reconcile.services.audit import CLI

    print_json(create_user(role.upper(), name, email, client_id, CLI))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=click.IntRange(1, 65535))
@friendly
def sim(host: str, port: int) -> None:
    """Run the platform simulator alone."""
    from reconcile.sim import serve

    _check_can_listen(host, port)
    serve(host=host, port=port)


def _check_can_listen(host: str, port: int) -> None:
    """Fail in one line on a port in use or a bad host (the server would print two)."""
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: "
                                   f"{exc.strerror or exc}") from exc

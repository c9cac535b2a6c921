"""Data out and back: compliance export, backup and restore; the running counts."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from reconcile.cli.common import friendly, main
from reconcile.cli.usage import OneLineCommand

DATES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


@main.command(cls=OneLineCommand)
@click.option("--since", required=True, type=click.DateTime(DATES), help="UTC date or time.")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "jsonl"]))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="jsonl: a file; csv: a directory that gets one file per table.")
@click.option("--force", is_flag=True, help="Overwrite an existing export.")
@friendly
def export(since: datetime, fmt: str, out: Path, force: bool) -> None:
    """Export reports, attempts, snapshots, trust ledger and alerts since a date."""
    from reconcile.services.admin.export import TABLES, count_rows
    from reconcile.services.admin.export import export as run
    from reconcile.services.audit import CLI

    targets = [out] if fmt == "jsonl" else [out / f"{t}.csv" for t in TABLES]
    if fmt == "csv" and out.exists() and not out.is_dir():
        raise click.ClickException(f"{out}: exists and is not a directory")
    if not out.parent.is_dir():
        raise click.ClickException(f"{out.parent}: no such directory")
    if not force and any(t.exists() for t in targets):
        raise click.ClickException(f"{out}: an export is already there; pass --force")
    since = since.replace(tzinfo=UTC)
    total = sum(count_rows(since).values())
    try:
        with click.progressbar(length=total, label="exporting", file=sys.stderr) as bar:
            written = run(since, fmt, out, progress=bar.update, actor=CLI)
    except OSError as exc:
        raise click.ClickException(f"{out}: {exc.strerror or exc}") from exc
    parts = ", ".join(f"{t} {n}" for t, n in written.items())
    click.echo(f"exported {sum(written.values())} row(s) ({parts}) to {out}")


@main.command(cls=OneLineCommand)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@friendly
def backup(file: Path, force: bool) -> None:
    """Write a backup of the database to FILE."""
    from reconcile.services.admin.backup import backup as run
    from reconcile.services.audit import CLI

    if file.exists() and not force:
        raise click.ClickException(f"{file}: already exists; pass --force to overwrite it")
    if not file.parent.is_dir():
        raise click.ClickException(f"{file.parent}: no such directory")
    try:
        run(file, actor=CLI)
    except OSError as exc:
        raise click.ClickException(f"{file}: {exc.strerror or exc}") from exc
    click.echo(f"backed up the database to {file}")


@main.command(cls=OneLineCommand)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@friendly
def restore(file: Path, force: bool) -> None:
    """Replace the database's contents with the backup in FILE."""
    from reconcile.services.admin.backup import restore as run
    from reconcile.services.audit import CLI

    try:
        run(file, force=force, actor=CLI)
    except OSError as exc:
        raise click.ClickException(f"{file}: {exc.strerror or exc}") from exc
    click.echo(f"restored the database from {file}")


@main.group()
def tallies() -> None:
    """The running counts behind the results' counts, histogram, analytics and alert counts."""


@tallies.command("fold")
@friendly
def tallies_fold() -> None:
    """Fold the pending deltas now (beat does it every few seconds)."""
    from reconcile.services.admin.tallies import compact_tallies

    click.echo(f"folded {compact_tallies()} deltas")


@tallies.command("rebuild")
@friendly
def tallies_rebuild() -> None:
    """Recount every tally from the data (after a repair that changed rows by hand)."""
    from reconcile.services.admin.tallies import rebuild_tallies

    keys = rebuild_tallies()
    click.echo("rebuilt: " + ", ".join(f"{table} {n} keys" for table, n in keys.items()))

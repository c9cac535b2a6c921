"""Back up and restore the database: pg_dump / pg_restore (custom format) for PostgreSQL,
SQLite's online backup API for SQLite.

Restore replaces the database's contents with the backup's. It refuses a database that
already holds clients, users or reports unless `force` is given, so an operator never
clobbers live data by mistake; an empty (or freshly migrated) database needs no `force`.
The database password travels to pg_dump / pg_restore in the environment, never on the
command line.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from reconcile.config import load_settings, normalise_database_url
from reconcile.errors import ReconcileError
from reconcile.persistence.db import dispose_engines, get_engine, unit_of_work
from reconcile.services.audit import SYSTEM, Actor, record

log = logging.getLogger("reconcile.backup")

SQLITE_MAGIC = b"SQLite format 3\x00"
DATA_TABLES = ("clients", "users", "reports")


class BackupFailed(ReconcileError):
    """The backup or restore could not be done."""

    code = "BACKUP_FAILED"


def has_data(url: str) -> bool:
    """Tell whether the database holds any client, user or report."""
    engine = get_engine(url)
    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return any(conn.execute(text(f"SELECT 1 FROM {t} LIMIT 1")).first() is not None
                   for t in DATA_TABLES if t in present)


def backup(path: Path, url: str | None = None, actor: Actor = SYSTEM) -> None:
    """Write a backup of the database to path (atomically: all of it or nothing)."""
    url = normalise_database_url(url or load_settings().database_url)
    partial = path.with_name(path.name + ".partial")
    try:
        if url.startswith("sqlite"):
            source = _sqlite_path(url)
            if not source.exists():
                raise BackupFailed(f"no database at {source}")
            _copy_sqlite(source, partial)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}"], url)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    _audit(url, actor, "backup.written", path)


def restore(path: Path, url: str | None = None, force: bool = False,
            actor: Actor = SYSTEM) -> None:
    """Replace the database's contents with the backup at path."""
    url = normalise_database_url(url or load_settings().database_url)
    if not path.is_file():
        raise BackupFailed(f"{path}: no such backup file")
    sqlite = url.startswith("sqlite")
    _check_file(path, sqlite)
    if not force and has_data(url):
        raise BackupFailed("the database already holds data; pass --force to replace it")
    dispose_engines()  # no pooled connection may hold the database while it is replaced
    if sqlite:
        _copy_sqlite(path, _sqlite_path(url))
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error"], url, str(path))
    _audit(url, actor, "database.restored", path, force=force)


def _audit(url: str, actor: Actor, action: str, path: Path, **extra: object) -> None:
    """Record the backup or restore in the database it concerns (after a restore: the
    restored one, whose own trail ends when its backup was taken)."""
    try:
        with unit_of_work(url) as uow:
            record(uow.session, actor, action, ("database", make_url(url).database),
                   after={"file": str(path), **extra})
    except SQLAlchemyError as exc:  # a backup from before the audit trail existed
        log.warning("Could not record the %s in the audit trail", action,
                    extra={"error_code": type(exc).__name__})


def _check_file(path: Path, sqlite: bool) -> None:
    with path.open("rb") as handle:
        head = handle.read(16)
    if sqlite and head != SQLITE_MAGIC:
        raise BackupFailed(f"{path}: not a SQLite backup")
    if not sqlite and not head.startswith(b"PGDMP"):
        raise BackupFailed(f"{path}: not a PostgreSQL custom-format backup")


def _copy_sqlite(source: Path, target: Path) -> None:
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupFailed(f"SQLite backup API failed: {exc}") from None


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def _run(argv: list[str], url: str, *tail: str) -> None:
    if shutil.which(argv[0]) is None:
        raise BackupFailed(f"{argv[0]} not found; install the PostgreSQL client tools")
    parsed = make_url(url)
    env = {**os.environ, "PGPASSWORD": parsed.password or ""} if parsed.password else None
    libpq = parsed.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    done = subprocess.run([*argv, "--dbname", libpq, *tail], env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()] or ["unknown error"]
        raise BackupFailed(f"{argv[0]} failed: {lines[0].strip()}")

"""The engine and the unit of work: one transaction per use case, dispatch after commit."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from reconcile.config import current_database_url, normalise_database_url

# A PostgreSQL that does not answer (a host gone, packets dropped) fails the connection
# after this long instead of holding the request or task until TCP gives up (minutes).
CONNECT_TIMEOUT_SECONDS = 5


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy, not pysqlite, decide when transactions begin (see below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # SQLite has no row locks: taking the write lock up front serialises
            # read-modify-write transactions (trust updates) instead of failing them.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


_engines: dict[tuple[int, str], Engine] = {}


def get_engine(url: str | None = None) -> Engine:
    """Return this process's engine (one per URL, recreated after a fork)."""
    url = normalise_database_url(url) if url else current_database_url()
    key = (os.getpid(), url)
    if key not in _engines:
        _engines[key] = _make_engine(url)
    return _engines[key]


@lru_cache(maxsize=8)
def _factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def dispose_engines() -> None:
    """Forget engines inherited from a parent process (call after fork)."""
    for engine in _engines.values():
        engine.dispose(close=False)
    _engines.clear()
    _factory.cache_clear()


# Code that holds only a Session (not its UnitOfWork) queues after-commit work here.
AFTER_COMMIT_KEY = "reconcile.after_commit"


def after_commit(session: Session, fn: Callable[[], object]) -> None:
    """Run fn once the session's unit of work has committed (never after a rollback)."""
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(fn)


class UnitOfWork:
    """A session plus callbacks that run only once the transaction has committed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._after_commit: list[Callable[[], object]] = []

    def after_commit(self, fn: Callable[[], object]) -> None:
        self._after_commit.append(fn)

    def run_after_commit(self) -> None:
        callbacks, self._after_commit = self._after_commit, []
        callbacks += self.session.info.pop(AFTER_COMMIT_KEY, [])
        for fn in callbacks:
            fn()


@contextmanager
def unit_of_work(url: str | None = None) -> Iterator[UnitOfWork]:
    """Open a transaction; commit on success, roll back on error, then run after-commit work."""
    session = _factory(get_engine(url))()
    uow = UnitOfWork(session)
    try:
        yield uow
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    uow.run_after_commit()


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def serialise_on(session: Session, name: str) -> None:
    """Make the rest of this transaction wait for any other transaction serialised on the
    same name, until that one ends: a check-then-insert on that name cannot interleave.

    PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of the name (a rare
    collision only makes two unrelated names wait for each other). SQLite needs nothing:
    every transaction there takes the write lock when it begins (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    session.connection().execute(_ADVISORY_LOCK, {"key": key})

"""The engine and the unit of work: one transaction per use case, dispatch after commit."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from reconcile.config import current_database_url, normalise_database_url

# A PostgreSQL that does not answer (a host gone, packets dropped) fails the connection
# after this long instead of holding the request or task until TCP gives up (minutes).
CONNECT_TIMEOUT_SECONDS = 5


def _make_engine(url: str, autocommit: bool = False) -> Engine:
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
            if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                return  # single_statements: each statement is its own transaction
            # SQLite has no row locks: taking the write lock up front serialises
            # read-modify-write transactions (trust updates) instead of failing them.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # values_plus_batch: an UPDATE or DELETE sent for many rows (executemany) goes to the
    # server as one round trip per page of 100 rows (psycopg2's execute_batch) instead of
    # one per row, as psycopg2's own executemany does. An attempt batch updates its logs,
    # trust effects, scores and posts' rates that way: 20 -> 11 ms of its locked flush
    # (docs/performance.md). INSERTs are one multi-row statement either way.
    # autocommit: single_statements' own engine. Its connections are in autocommit from
    # their start, so no checkout switches a connection's mode (switching back costs the
    # next transaction a SET round trip).
    mode = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = create_engine(url, pool_size=5, max_overflow=10,
                           executemany_mode="values_plus_batch",
                           connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}, **mode)
    _ping_when_idle(engine)
    return engine


# What a read can run on: a unit of work's session or a single_statements connection.
Reader = Session | Connection

# A pooled connection idle this long is pinged before it is handed out. SQLAlchemy's
# pool_pre_ping pings on every checkout: a round trip per unit of work, two per submission,
# to guard against what only happens to a connection left idle (a database restarted, an
# idle connection cut by a proxy). A connection handed back a moment ago is in use; if it
# breaks anyway the statement fails with a disconnect, the pool drops every connection
# older than that failure, and the request answers 503 (a task retries).
IDLE_PING_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return  # new, or in use a moment ago
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_conn, None):
                # The pool discards this connection and checks out another (SQLAlchemy's
                # documented pessimistic disconnect handling).
                raise DisconnectionError() from exc
            raise


_engines: dict[tuple[int, str, bool], Engine] = {}


def get_engine(url: str | None = None, *, autocommit: bool = False) -> Engine:
    """Return this process's engine (one per URL, recreated after a fork); `autocommit`:
    the PostgreSQL engine of single_statements (SQLite has one engine for both)."""
    url = normalise_database_url(url) if url else current_database_url()
    autocommit = autocommit and not url.startswith("sqlite")
    key = (os.getpid(), url, autocommit)
    if key not in _engines:
        _engines[key] = _make_engine(url, autocommit)
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


@contextmanager
def single_statements(url: str | None = None) -> Iterator[Connection]:
    """A connection on which every statement commits by itself, for a use case that needs
    no transaction around its statements: each is atomic alone, and none reads under a
    lock what another wrote. On PostgreSQL that saves the BEGIN and the COMMIT, two of a
    postback's four round trips. No after-commit work: each write is committed when its
    statement returns.
    """
    engine = get_engine(url, autocommit=True)
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":  # SQLite: the same engine, this connection
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


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

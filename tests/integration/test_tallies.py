"""The running counts of reports (migration 0016) always equal counting the reports.

Every change to a log goes through the database's triggers, so these tests change logs with
plain SQL, as any write path would, in random orders and concurrently, fold the deltas at
random points, and compare the tallies with the logs counted one by one (the histogram's
bins worked out here in Python from its edges, not with the triggers' SQL).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.persistence import tallies
from tests.conftest import requires_postgres
from tests.integration.test_migration_sources import POSTS, _seed

STATUSES = ("PENDING", "MATCHED", "DISCREPANCY_LOW", "DISCREPANCY_HIGH", "MISSING")
LEVELS = (None, "LOW", "MEDIUM", "HIGH")
# Around and on every edge, so a bin's inclusive upper edge is exercised.
PCTS = (None, 0.0, 0.05, 0.0500001, 0.1, 0.15, 0.2, 0.5, 0.75, 1.0, 1.5, 12.0)
PLATFORMS = ("youtube", "x", "instagram", "tiktok", "reddit")


def _bin(pct: float | None) -> int:
    if pct is None:
        return tallies.NO_BIN
    return next((i for i, edge in enumerate(tallies.EDGES) if pct <= edge), len(tallies.EDGES))


def _live(conn: Any) -> Counter[tuple[Any, ...]]:
    """Every log counted under its key, one by one."""
    rows = conn.exec_driver_sql(
        "SELECT p.campaign_id, p.platform, r.affiliate_id, l.status, l.discrepancy_level, "
        "l.max_discrepancy_pct FROM reconciliation_logs l JOIN reports r ON r.id = l.report_id "
        "JOIN posts p ON p.id = r.post_id").all()
    return Counter((int(c), p, int(a), s, lvl or "", _bin(pct)) for c, p, a, s, lvl, pct in rows)


def _tallied(conn: Any) -> Counter[tuple[Any, ...]]:
    rows = conn.execute(tallies.counted(*tallies.KEY)).all()
    return Counter({(int(c), p, int(a), s, lvl, int(b)): int(n) for c, p, a, s, lvl, b, n in rows})


@pytest.fixture(scope="module")
def db(stack: dict[str, str], tmp_path_factory: Any) -> Iterator[sa.Engine]:
    """A database with four reconciled reports from before 0016, then migrated to head."""
    from alembic import command

    from reconcile.persistence.migrate import alembic_config
    from tests.conftest import TEST_DB, USES_POSTGRES, _create_postgres_database

    url, drop = (_create_postgres_database(TEST_DB) if USES_POSTGRES
                 else (f"sqlite:///{tmp_path_factory.mktemp('tallies') / 't.sqlite3'}",
                       lambda: None))
    try:
        command.upgrade(alembic_config(url), "0008")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            _seed(conn)
            conn.exec_driver_sql("INSERT INTO users (id, name, email, role, api_key_hash, "
                                 "api_key_prefix, trust_score, is_active, created_at) VALUES "
                                 "(2, 'b', 'b@x', 'AFFILIATE', 'h2', 'p2', 0.5, true, "
                                 "'2026-01-01')")
            conn.exec_driver_sql("INSERT INTO campaigns (id, client_id, name, status, "
                                 "created_at) VALUES (2, 1, 'd', 'ACTIVE', '2026-01-01')")
            conn.exec_driver_sql("UPDATE reconciliation_logs SET status = 'DISCREPANCY_HIGH', "
                                 "discrepancy_level = 'HIGH', max_discrepancy_pct = 0.6 "
                                 "WHERE id = 2")
        engine.dispose()
        command.upgrade(alembic_config(url), "head")
        engine = sa.create_engine(url)
        yield engine
        engine.dispose()
    finally:
        drop()


class _Writer:
    """Adds posts with a report and a log, and changes logs, with plain SQL."""

    def __init__(self, engine: sa.Engine, first_id: int) -> None:
        self.engine, self.next_id, self.logs = engine, first_id, list(POSTS)

    def add(self, rng: random.Random) -> None:
        i = self.next_id
        self.next_id += 1
        affiliate, campaign = rng.choice((1, 2)), rng.choice((1, 2))
        platform = rng.choice(PLATFORMS)
        with self.engine.begin() as conn:
            run = conn.exec_driver_sql
            run(f"INSERT INTO posts (id, affiliate_id, campaign_id, platform, url, "
                f"normalized_url, platform_post_id, created_at) VALUES ({i}, {affiliate}, "
                f"{campaign}, '{platform}', 'u{i}', 'u{i}', 'p{i}', '2026-01-02')")
            run(f"INSERT INTO reports (id, post_id, affiliate_id, claimed_views, "
                f"claimed_clicks, claimed_conversions, suspicion_flags, priority, "
                f"submitted_at) VALUES ({i}, {i}, {affiliate}, 1, 1, 1, '[]', 'normal', "
                "'2026-01-02')")
            run(f"INSERT INTO reconciliation_logs (id, report_id, status, attempt_count, "
                f"is_terminal, missing_fields, metrics, updated_at, failures) VALUES ({i}, "
                f"{i}, 'PENDING', 0, false, '[]', '{{}}', '2026-01-02', 0)")
        self.logs.append(i)

    def change(self, rng: random.Random, status: str, level: str | None,
               pct: float | None) -> None:
        log = rng.choice(self.logs)
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE reconciliation_logs SET status = :s, discrepancy_level = :l, "
                "max_discrepancy_pct = :p, attempt_count = attempt_count + 1 WHERE id = :id"),
                {"s": status, "l": level, "p": pct, "id": log})


def test_the_migration_counts_the_reports_already_there(db: sa.Engine) -> None:
    with db.connect() as conn:
        assert _tallied(conn) == _live(conn)
        assert sum(_live(conn).values()) == len(POSTS)
        assert conn.scalar(sa.text("SELECT count(*) FROM report_tally_deltas")) == 0


_OPS = st.lists(st.one_of(
    st.tuples(st.just("add")),
    st.tuples(st.just("change"), st.sampled_from(STATUSES), st.sampled_from(LEVELS),
              st.sampled_from(PCTS)),
    st.tuples(st.just("fold"))), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS, seed=st.integers(0, 2**16))
def test_any_sequence_of_changes_and_folds_keeps_the_counts_exact(
        db: sa.Engine, ops: list[tuple[Any, ...]], seed: int) -> None:
    rng = random.Random(seed)
    with db.connect() as conn:
        first = int(conn.scalar(sa.text("SELECT COALESCE(max(id), 0) FROM posts")) or 0) + 1
    writer = _Writer(db, first)
    writer.logs = list(range(1, first))
    for op in ops:
        if op[0] == "add":
            writer.add(rng)
        elif op[0] == "change":
            writer.change(rng, *op[1:])
        else:
            with db.begin() as conn:
                tallies.compact(conn, batch=rng.choice((1, 3, 1000)))
        with db.connect() as conn:
            assert _tallied(conn) == _live(conn)
    with db.begin() as conn:
        tallies.compact(conn)
    with db.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM report_tally_deltas")) == 0
        assert conn.scalar(sa.text("SELECT count(*) FROM report_tallies WHERE n = 0")) == 0
        assert _tallied(conn) == _live(conn)


def test_an_update_that_changes_no_counted_column_adds_no_delta(db: sa.Engine) -> None:
    with db.begin() as conn:
        tallies.compact(conn)
        conn.exec_driver_sql("UPDATE reconciliation_logs SET attempt_count = attempt_count + 1, "
                             "status = status")
    with db.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM report_tally_deltas")) == 0


def test_rebuild_repairs_counts_that_drifted(db: sa.Engine) -> None:
    with db.begin() as conn:
        conn.exec_driver_sql("INSERT INTO report_tally_deltas (campaign_id, platform, "
                             "affiliate_id, status, discrepancy_level, bin, n) VALUES "
                             "(1, 'x', 1, 'MATCHED', '', -1, 7)")
    with db.connect() as conn:
        assert _tallied(conn) != _live(conn)
    with db.begin() as conn:
        keys = tallies.rebuild(conn)
    with db.connect() as conn:
        assert keys == len(_live(conn))
        assert _tallied(conn) == _live(conn)


@pytest.mark.postgres
def test_concurrent_writers_and_folds_lose_and_double_nothing(db: sa.Engine) -> None:
    """Writers add and change logs from four threads while two others fold over and over:
    a delta committed while a fold runs is counted once, whatever order the ids commit in."""
    requires_postgres()
    with db.connect() as conn:
        first = int(conn.scalar(sa.text("SELECT COALESCE(max(id), 0) FROM posts")) or 0) + 1
    stop = threading.Event()
    errors: list[BaseException] = []

    def write(k: int) -> None:
        rng = random.Random(k)
        writer = _Writer(db, first + k * 10_000)
        try:
            for _ in range(40):
                writer.add(rng)
                writer.change(rng, rng.choice(STATUSES), rng.choice(LEVELS), rng.choice(PCTS))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def fold() -> None:
        try:
            while not stop.is_set():
                with db.begin() as conn:
                    tallies.compact(conn, batch=7)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    writers = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    folders = [threading.Thread(target=fold) for _ in range(2)]
    for t in writers + folders:
        t.start()
    for t in writers:
        t.join(timeout=120)
    stop.set()
    for t in folders:
        t.join(timeout=60)
    assert errors == []
    with db.connect() as conn:
        assert _tallied(conn) == _live(conn)


def test_beat_folds_the_deltas_on_its_own_queue(stack: dict[str, str]) -> None:
    """The scheduled task folds what the application's writes left, once pool-wide."""
    from reconcile.persistence.db import get_engine
    from tasks.tallies import app, compact

    entry = app.conf.beat_schedule["compact-tallies"]
    assert (entry["task"], entry["options"]["queue"]) == ("reconcile.compact_tallies",
                                                          "periodic")
    engine = get_engine(stack["database_url"])
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO report_tally_deltas (campaign_id, platform, "
                             "affiliate_id, status, discrepancy_level, bin, n) VALUES "
                             "(999999, 'x', 999999, 'MATCHED', '', -1, 1), "
                             "(999999, 'x', 999999, 'MATCHED', '', -1, -1)")
    assert compact() >= 2
    with engine.connect() as conn:
        # (other tests' workers may be writing: only this key's rows are looked at)
        for table in ("report_tally_deltas", "report_tallies"):
            assert conn.scalar(sa.text(f"SELECT count(*) FROM {table} "
                                       "WHERE campaign_id = 999999")) == 0

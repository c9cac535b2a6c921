"""The running counts (migration 0016) always equal counting the data row by row.

Every change goes through the database's triggers, so these tests change the data with
plain SQL, as any write path would: new posts, updated claims (a newer report of a post),
log changes, snapshots, alerts raised and triaged, in random orders and from concurrent
threads, with the deltas folded at random points. Each tally is then compared with the data
counted here in Python: the histogram's bins from its edges, each post's current state from
its newest report and newest snapshot, not with the triggers' SQL.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
SOURCES: tuple[dict[str, str], ...] = (
    {}, {"views": "platform"},
    {"views": "platform", "clicks": "tracked", "conversions": "postback"},
    {"views": "platform", "clicks": "platform", "conversions": "none"})
NUMBERS = (None, 0, 7, 1000)
# When attempts finished: around hour and day boundaries.
# Attempts' finishing times, on and around hour edges, two and three days back: hours the
# tallies keep (tallies.HOURS_KEPT), whenever the tests run.
_DAY = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d")
_NEXT = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%d")
FINISHED = (f"{_DAY} 00:00:00", f"{_DAY} 00:59:59.999", f"{_DAY} 01:00:00",
            f"{_DAY} 13:30:00", f"{_NEXT} 23:59:59")
SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
ALERT_TYPES = ("HIGH_DISCREPANCY", "MISSING_DATA", "VIEW_ANOMALY")
ALERT_STATUSES = ("OPEN", "ACKNOWLEDGED", "RESOLVED")
METRICS = tallies.METRICS


def _bin(pct: float | None) -> int:
    if pct is None:
        return tallies.NO_BIN
    return next((i for i, edge in enumerate(tallies.EDGES) if pct <= edge), len(tallies.EDGES))


def _loaded(value: Any) -> dict[str, Any]:
    return (json.loads(value) if isinstance(value, str) else value) or {}


# -- the data counted row by row ------------------------------------------------------------

def _live_reports(conn: Any) -> Counter[tuple[Any, ...]]:
    rows = conn.exec_driver_sql(
        "SELECT p.campaign_id, p.platform, r.affiliate_id, l.status, l.discrepancy_level, "
        "l.max_discrepancy_pct FROM reconciliation_logs l JOIN reports r ON r.id = l.report_id "
        "JOIN posts p ON p.id = r.post_id").all()
    return Counter((int(c), p, int(a), s, lvl or "", _bin(pct)) for c, p, a, s, lvl, pct in rows)


def _live_states(conn: Any) -> Iterator[tuple[tuple[Any, ...], list[int]]]:
    """Each counted post's (campaign, platform, affiliate, status, sources, unseen) and
    sums, from its newest report (with its log) and newest snapshot."""
    newest_report = dict(conn.exec_driver_sql(
        "SELECT post_id, max(id) FROM reports GROUP BY post_id").all())
    newest_snapshot = dict(conn.exec_driver_sql(
        "SELECT post_id, max(id) FROM snapshots GROUP BY post_id").all())
    reports = {r[0]: r for r in conn.exec_driver_sql(
        "SELECT r.id, l.status, r.claimed_views, r.claimed_clicks, r.claimed_conversions "
        "FROM reports r JOIN reconciliation_logs l ON l.report_id = r.id").all()}
    snapshots = {s[0]: s for s in conn.exec_driver_sql(
        "SELECT id, views, clicks, conversions, sources FROM snapshots").all()}
    for post, campaign, platform, affiliate in conn.exec_driver_sql(
            "SELECT id, campaign_id, platform, affiliate_id FROM posts").all():
        report = reports.get(newest_report.get(post))
        if report is None:
            continue
        snapshot = snapshots.get(newest_snapshot.get(post))
        seen = list(snapshot[1:4]) if snapshot else [None, None, None]
        sources = _loaded(snapshot[4]) if snapshot else {}
        yield ((int(campaign), platform, int(affiliate), report[1],
                *[sources.get(m) or "" for m in METRICS], *[int(v is None) for v in seen]),
               [1, *[int(v) for v in report[2:5]], *[int(v or 0) for v in seen]])


def _summed(keyed: Iterator[tuple[tuple[Any, ...], list[int]]]
            ) -> dict[tuple[Any, ...], list[int]]:
    found: dict[tuple[Any, ...], list[int]] = {}
    for key, values in keyed:
        sums = found.setdefault(key, [0] * len(values))
        for i, v in enumerate(values):
            sums[i] += v
    return found


def _live_posts(conn: Any) -> dict[tuple[Any, ...], list[int]]:
    """The posts' states summed by POSTS' key in both cuts the analytics show: under each
    post's platform (affiliate None) and under its affiliate (platform None)."""
    return _summed(cut for (campaign, platform, affiliate, *alike), values in _live_states(conn)
                   for cut in (((campaign, platform, None, *alike), values),
                               ((campaign, None, affiliate, *alike), values)))


def _hour(finished: Any) -> str:
    """An attempt's UTC hour as HOURS keys it, from the value the driver gives."""
    if isinstance(finished, str):  # SQLite: the stored text, naive UTC
        finished = datetime.fromisoformat(finished)
    return (finished.astimezone(UTC) if finished.tzinfo else finished).strftime("%Y-%m-%d %H")


def _live_hours(conn: Any, kept: str) -> Counter[tuple[Any, ...]]:
    """Attempts by hour and status: all, per campaign, per affiliate (the post's); the hours
    from `kept` on (keyed as HOURS keys them)."""
    found: Counter[tuple[Any, ...]] = Counter()
    for finished, status, campaign, affiliate in conn.exec_driver_sql(
            "SELECT a.finished_at, a.status, p.campaign_id, p.affiliate_id FROM attempts a "
            "JOIN reports r ON r.id = a.report_id JOIN posts p ON p.id = r.post_id").all():
        hour = _hour(finished)
        if hour < kept:
            continue
        for level in ((0, 0), (int(campaign), 0), (0, int(affiliate))):
            found[(hour, *level, status)] += 1
    return found


def _live_alerts(conn: Any) -> Counter[tuple[Any, ...]]:
    rows = conn.exec_driver_sql(
        "SELECT p.campaign_id, a.affiliate_id, a.severity, a.type, a.status FROM alerts a "
        "LEFT JOIN reports r ON r.id = a.report_id LEFT JOIN posts p ON p.id = r.post_id").all()
    return Counter((int(c or 0), int(a or 0), s, t, st) for c, a, s, t, st in rows)


# -- the tallies ------------------------------------------------------------------------------

def _tallied_reports(conn: Any) -> Counter[tuple[Any, ...]]:
    rows = conn.execute(tallies.counted(tallies.REPORTS, *tallies.REPORTS.key)).all()
    return Counter({(int(c), p, int(a), s, lvl, int(b)): int(n) for c, p, a, s, lvl, b, n in rows})


def _tallied_posts(conn: Any) -> dict[tuple[Any, ...], list[int]]:
    """What the analytics read (folded rows, and the posts still dirty from the data)."""
    found = {}
    sql = sa.text(tallies.post_cuts_sql(conn.dialect.name))
    for campaign in (1, 2):
        for r in conn.execute(sql, {"campaign": campaign}).all():
            key = (campaign, r[0], None if r[1] is None else int(r[1]), r[2],
                   *[v or "" for v in r[3:6]], *[int(bool(v)) for v in r[6:9]])
            found[key] = [int(v or 0) for v in r[9:]]
    return found


def _tallied_alerts(conn: Any) -> Counter[tuple[Any, ...]]:
    rows = conn.execute(tallies.counted(tallies.ALERTS, *tallies.ALERTS.key)).all()
    return Counter({(int(c), int(a), s, t, st): int(n) for c, a, s, t, st, n in rows})


def _tallied_hours(conn: Any, kept: str) -> Counter[tuple[Any, ...]]:
    rows = conn.execute(tallies.counted(tallies.HOURS, *tallies.HOURS.key,
                                        where=lambda t: [t.c.hour >= kept])).all()
    return Counter({(h, int(c), int(a), s): int(n) for h, c, a, s, n in rows})


def _assert_exact(engine: sa.Engine) -> None:
    """Every tally equals the data counted row by row; HOURS in the hours it keeps (the
    seed's attempts, from January, only until the first fold)."""
    kept = tallies.hours_kept_from()
    with engine.connect() as conn:
        assert _tallied_reports(conn) == _live_reports(conn)
        assert _tallied_posts(conn) == _live_posts(conn)
        assert _tallied_alerts(conn) == _live_alerts(conn)
        assert _tallied_hours(conn, kept) == _live_hours(conn, kept)


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
    """Changes the data with plain SQL, each change in a transaction of its own. Ids are
    taken from `first` up, so concurrent writers never collide."""

    def __init__(self, engine: sa.Engine, first: int, rng: random.Random) -> None:
        self.engine, self.next_id, self.rng = engine, first, rng
        with engine.connect() as conn:
            self.posts = [r[0] for r in conn.exec_driver_sql("SELECT id FROM posts")]
            self.reports = [r[0] for r in conn.exec_driver_sql("SELECT id FROM reports")]
            self.alerts = [r[0] for r in conn.exec_driver_sql("SELECT id FROM alerts")]
            self.attempts = [r[0] for r in conn.exec_driver_sql("SELECT id FROM attempts")]
        self.bare: list[int] = []  # attempts of this writer's with no snapshot

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def post(self) -> None:
        i, rng = self._id(), self.rng
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO posts (id, affiliate_id, campaign_id, platform, url, "
                f"normalized_url, platform_post_id, created_at) VALUES ({i}, "
                f"{rng.choice((1, 2))}, {rng.choice((1, 2))}, '{rng.choice(PLATFORMS)}', "
                f"'u{i}', 'u{i}', 'p{i}', '2026-01-02')")
            self._report(conn, i)
        self.posts.append(i)

    def claim(self) -> None:
        """A newer report of an existing post (an updated claim)."""
        with self.engine.begin() as conn:
            self._report(conn, self.rng.choice(self.posts))

    def _report(self, conn: Any, post: int) -> None:
        i, views = self._id(), self.rng.choice((5, 500, 5000))
        affiliate = conn.exec_driver_sql(f"SELECT affiliate_id FROM posts WHERE id = {post}"
                                         ).scalar()
        conn.exec_driver_sql(
            f"INSERT INTO reports (id, post_id, affiliate_id, claimed_views, claimed_clicks, "
            f"claimed_conversions, suspicion_flags, priority, submitted_at) VALUES ({i}, "
            f"{post}, {affiliate}, {views}, {views // 10}, {views // 100}, '[]', 'normal', "
            "'2026-01-02')")
        conn.exec_driver_sql(
            f"INSERT INTO reconciliation_logs (id, report_id, status, attempt_count, "
            f"is_terminal, missing_fields, metrics, updated_at, failures) VALUES ({i}, {i}, "
            "'PENDING', 0, false, '[]', '{}', '2026-01-02', 0)")
        self.reports.append(i)

    def log(self, status: str, level: str | None, pct: float | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE reconciliation_logs SET status = :s, discrepancy_level = :l, "
                "max_discrepancy_pct = :p, attempt_count = attempt_count + 1 "
                "WHERE report_id = :id"),
                {"s": status, "l": level, "p": pct, "id": self.rng.choice(self.reports)})

    def snapshot(self) -> None:
        i, rng = self._id(), self.rng
        report = rng.choice(self.reports)
        seen = [rng.choice(NUMBERS) for _ in METRICS]
        with self.engine.begin() as conn:
            post = conn.exec_driver_sql(f"SELECT post_id FROM reports WHERE id = {report}"
                                        ).scalar()
            self._attempt(conn, i, report)
            conn.execute(sa.text(
                "INSERT INTO snapshots (id, attempt_id, report_id, post_id, attempt_number, "
                "views, clicks, conversions, sources, fetched_at) VALUES (:i, :i, :r, :p, :i, "
                ":v, :c, :cv, :src, '2026-01-02')"),
                {"i": i, "r": report, "p": post, "v": seen[0], "c": seen[1], "cv": seen[2],
                 "src": json.dumps(rng.choice(SOURCES))})

    def _attempt(self, conn: Any, i: int, report: int) -> None:
        conn.execute(sa.text(
            "INSERT INTO attempts (id, report_id, attempt_number, status, confidence_ratio, "
            "metrics, rules_version, trigger, started_at, finished_at, duration_ms) VALUES "
            "(:i, :r, :i, :s, 1.0, '{}', 'v1', 'submission', '2026-01-02', :f, 1.0)"),
            {"i": i, "r": report, "s": self.rng.choice(STATUSES),
             "f": self.rng.choice(FINISHED)})
        self.attempts.append(i)

    def attempt(self) -> None:
        """An attempt that took no snapshot (the platform had no data)."""
        i = self._id()
        with self.engine.begin() as conn:
            self._attempt(conn, i, self.rng.choice(self.reports))
        self.bare.append(i)

    def retime(self) -> None:
        """A repair moves an attempt to another hour and status."""
        if self.attempts:
            with self.engine.begin() as conn:
                conn.execute(sa.text("UPDATE attempts SET finished_at = :f, status = :s "
                                     "WHERE id = :i"),
                             {"f": self.rng.choice(FINISHED), "s": self.rng.choice(STATUSES),
                              "i": self.rng.choice(self.attempts)})

    def unattempt(self) -> None:
        """A repair deletes an attempt (one with no snapshot)."""
        if self.bare:
            i = self.bare.pop(self.rng.randrange(len(self.bare)))
            self.attempts.remove(i)
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f"DELETE FROM attempts WHERE id = {i}")

    def alert(self) -> None:
        i, rng = self._id(), self.rng
        report = rng.choice([None, *self.reports])
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO alerts (id, rule, dedupe_key, type, category, severity, status, "
                "title, message, affiliate_id, report_id, threshold_breached, deliveries, "
                "created_at) VALUES (:i, :rule, :k, :t, 'fraud', :s, 'OPEN', 't', 'm', :a, :r, "
                "'{}', '[]', '2026-01-02')"),
                {"i": i, "rule": _base36(i), "k": f"k{i}", "t": rng.choice(ALERT_TYPES),
                 "s": rng.choice(SEVERITIES), "a": rng.choice((None, 1, 2)), "r": report})
        self.alerts.append(i)

    def triage(self, status: str, severity: str) -> None:
        if not self.alerts:
            return
        with self.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alerts SET status = :st, severity = :sv WHERE id = :i"),
                         {"st": status, "sv": severity, "i": self.rng.choice(self.alerts)})

    def fold(self) -> None:
        with self.engine.begin() as conn:
            tallies.compact(conn, batch=self.rng.choice((1, 3, 1000)))

    def any(self) -> None:
        """One change chosen at random (the concurrent test's writers)."""
        rng = self.rng
        rng.choice([self.post, self.claim, self.snapshot, self.alert, self.attempt,
                    self.retime, self.unattempt,
                    lambda: self.log(rng.choice(STATUSES), rng.choice(LEVELS),
                                     rng.choice(PCTS)),
                    lambda: self.triage(rng.choice(ALERT_STATUSES),
                                        rng.choice(SEVERITIES))])()


def _base36(i: int) -> str:
    """A rule name of at most four characters, unique per alert id (one alert per report
    and rule)."""
    digits = ""
    while True:
        i, d = divmod(i, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + digits
        if not i:
            return digits


def _first_free_id(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return max(int(conn.scalar(sa.text(f"SELECT COALESCE(max(id), 0) FROM {t}")) or 0)
                   for t in ("posts", "reports", "attempts", "snapshots", "alerts"))


def test_the_migration_counts_what_is_already_there(db: sa.Engine) -> None:
    _assert_exact(db)
    with db.connect() as conn:
        seeded = _live_hours(conn, "")  # every hour: the migration counts them all
        assert seeded and _tallied_hours(conn, "") == seeded
        assert sum(_live_reports(conn).values()) == len(POSTS)
        assert sum(v[0] for k, v in _live_posts(conn).items() if k[2] is None) == len(POSTS)
        for table in [t.deltas for t in tallies.ALL] + ["post_tally_dirty"]:
            assert conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) == 0


_OPS = st.lists(st.one_of(
    st.tuples(st.sampled_from(("post", "claim", "snapshot", "alert", "fold", "attempt",
                               "retime", "unattempt"))),
    st.tuples(st.just("log"), st.sampled_from(STATUSES), st.sampled_from(LEVELS),
              st.sampled_from(PCTS)),
    st.tuples(st.just("triage"), st.sampled_from(ALERT_STATUSES),
              st.sampled_from(SEVERITIES))), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS, seed=st.integers(0, 2**16))
def test_any_sequence_of_changes_and_folds_keeps_the_counts_exact(
        db: sa.Engine, ops: list[tuple[Any, ...]], seed: int) -> None:
    writer = _Writer(db, _first_free_id(db), random.Random(seed))
    for name, *args in ops:
        getattr(writer, name)(*args)
        _assert_exact(db)
    with db.begin() as conn:
        tallies.compact(conn)
    with db.connect() as conn:
        for tally in tallies.ALL:
            assert conn.scalar(sa.text(f"SELECT count(*) FROM {tally.deltas}")) == 0
            assert conn.scalar(sa.text(f"SELECT count(*) FROM {tally.table} WHERE n = 0")) == 0
        assert conn.scalar(sa.text("SELECT count(*) FROM post_tally_dirty")) == 0
        assert conn.scalar(sa.text("SELECT count(*) FROM post_tallies WHERE n = 0")) == 0
    _assert_exact(db)


def test_0017_recounts_the_posts_by_cut_and_back(db: sa.Engine) -> None:
    """Down to 0016: one row per post key, as 0016 counted the states the fold last added
    (the dirty marks stay for its next fold); back up: both cuts, exact."""
    from alembic import command

    from reconcile.persistence.migrate import alembic_config

    writer = _Writer(db, _first_free_id(db), random.Random(17))
    for op in ("post", "snapshot", "post", "fold", "claim", "snapshot"):
        getattr(writer, op)()
    url = db.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0016")
    try:
        with db.connect() as conn:
            folded = {tuple(r[:10]): [int(v) for v in r[10:]] for r in conn.exec_driver_sql(
                f"SELECT {tallies.columns(tallies.POSTS)} FROM post_tallies")}
            states = _summed(
                ((int(r[0]), r[1], int(r[2]), *r[3:10]), [int(v) for v in r[10:]])
                for r in conn.exec_driver_sql(
                    "SELECT campaign_id, platform, affiliate_id, status, "
                    "COALESCE(source_views, ''), COALESCE(source_clicks, ''), "
                    "COALESCE(source_conversions, ''), "
                    + ", ".join(f"CASE WHEN seen_{m} IS NULL THEN 1 ELSE 0 END" for m in METRICS)
                    + ", n, claimed_views, claimed_clicks, claimed_conversions, "
                    + ", ".join(f"COALESCE(seen_{m}, 0)" for m in METRICS)
                    + " FROM post_tally_states WHERE n = 1"))
        assert folded == states and all(k[2] != 0 and k[1] != "" for k in folded)
    finally:
        command.upgrade(alembic_config(url), "head")
    _assert_exact(db)


def test_the_fold_lag_counts_what_no_fold_has_taken(db: sa.Engine) -> None:
    """`tallies.unfolded` (the metrics' gauge): every delta and dirty mark not yet folded,
    counted up to its cap; 0 once folded."""
    writer = _Writer(db, _first_free_id(db), random.Random(5))
    with db.begin() as conn:
        tallies.compact(conn)
        assert set(tallies.unfolded(conn).values()) == {0}
    writer.post()  # a report and its log: one report delta, one dirty mark
    writer.snapshot()  # an attempt (three hour levels) and a snapshot (one dirty mark)
    writer.alert()
    with db.begin() as conn:
        lag = tallies.unfolded(conn)
        assert lag == {"report_tallies": 1, "alert_tallies": 1, "attempt_tallies": 3,
                       "post_tallies": 2}
        assert tallies.unfolded(conn, cap=2)["attempt_tallies"] == 2
        tallies.compact(conn)
        assert set(tallies.unfolded(conn).values()) == {0}


def test_the_hours_kept_cover_the_longest_timeline_with_a_margin() -> None:
    from reconcile.services.reads.dashboard import TIMELINE_HOURS

    # The window's first, partial hour comes from the attempts, the rest from HOURS.
    assert timedelta(hours=TIMELINE_HOURS + 2) <= tallies.HOURS_KEPT
    assert tallies.hours_kept_from(datetime(2026, 3, 9, 0, 30, tzinfo=UTC)) == "2026-03-01 00"


def test_the_fold_and_rebuild_keep_only_the_hours_the_timeline_can_show(db: sa.Engine) -> None:
    """At a later `now`, the fold drops the hours before HOURS_KEPT (and a late change's
    delta to one of them), a rebuild does not count them, and every kept hour stays exact."""
    writer = _Writer(db, _first_free_id(db), random.Random(23))
    for _ in range(8):
        writer.attempt()
    with db.connect() as conn:
        trans = conn.begin()  # rolled back: the other tests keep every hour
        hours = sorted({k[0] for k in _live_hours(conn, tallies.hours_kept_from())})
        assert len(hours) >= 2
        edge = hours[len(hours) // 2]  # kept; the hours before it are not
        later = datetime.strptime(edge, "%Y-%m-%d %H").replace(tzinfo=UTC) + tallies.HOURS_KEPT
        assert tallies.hours_kept_from(later) == edge
        old = next(i for i, finished in conn.exec_driver_sql(
            "SELECT id, finished_at FROM attempts ORDER BY id DESC") if _hour(finished) < edge)
        try:
            def assert_kept() -> None:
                held = conn.exec_driver_sql("SELECT DISTINCT hour FROM attempt_tallies").scalars()
                assert min(held) == edge
                assert _tallied_hours(conn, edge) == _live_hours(conn, edge)

            tallies.compact(conn, now=later)
            assert_kept()
            conn.exec_driver_sql(f"UPDATE attempts SET status = 'MISSING' WHERE id = {old}")
            tallies.compact(conn, now=later)
            assert_kept()
            assert conn.exec_driver_sql("SELECT count(*) FROM attempt_tally_deltas").scalar() == 0
            tallies.rebuild(conn, now=later)
            assert_kept()
        finally:
            trans.rollback()
    _assert_exact(db)


def test_an_update_that_changes_no_counted_column_adds_no_delta(db: sa.Engine) -> None:
    with db.begin() as conn:
        tallies.compact(conn)
        conn.exec_driver_sql("UPDATE reconciliation_logs SET attempt_count = attempt_count + 1, "
                             "status = status")
        conn.exec_driver_sql("UPDATE alerts SET title = 'retitled', status = status")
    with db.connect() as conn:
        for table in [t.deltas for t in tallies.ALL] + ["post_tally_dirty"]:
            assert conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) == 0


def test_rebuild_repairs_counts_that_drifted(db: sa.Engine) -> None:
    with db.begin() as conn:
        conn.exec_driver_sql("INSERT INTO report_tally_deltas (campaign_id, platform, "
                             "affiliate_id, status, discrepancy_level, bin, n) VALUES "
                             "(1, 'x', 1, 'MATCHED', '', -1, 7)")
        conn.exec_driver_sql("UPDATE post_tallies SET claimed_views = claimed_views + 1")
        conn.exec_driver_sql("DELETE FROM alert_tallies")
    with db.connect() as conn:
        assert _tallied_reports(conn) != _live_reports(conn)
    with db.begin() as conn:
        keys = tallies.rebuild(conn)
    with db.connect() as conn:
        assert keys[tallies.REPORTS.table] == len(_live_reports(conn))
        assert keys[tallies.POSTS.table] == len(_live_posts(conn))
    _assert_exact(db)


@pytest.mark.postgres
def test_concurrent_writers_and_folds_lose_and_double_nothing(db: sa.Engine) -> None:
    """Four threads change the data (often the same posts) while two others fold over and
    over: a delta committed while a fold runs is counted once, whatever order the ids
    commit in, and two changes of one post take turns on its state."""
    requires_postgres()
    first = _first_free_id(db)
    stop = threading.Event()
    errors: list[BaseException] = []

    def write(k: int) -> None:
        writer = _Writer(db, first + (k + 1) * 100_000, random.Random(k))
        try:
            for _ in range(80):
                writer.any()
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
    _assert_exact(db)


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


def test_the_cli_folds_and_rebuilds_the_application_s_counts(world: Any, client: Any) -> None:
    """`reconcile tallies rebuild` recounts a tally broken by hand; the reads then agree
    with the reports again, as does `reconcile tallies fold`."""
    from click.testing import CliRunner

    from reconcile.cli import main
    from reconcile.persistence.db import unit_of_work

    def histogram_total() -> int:
        resp = client.get("/api/v1/reconciliation/discrepancies",
                          headers=world.auth(world.admin))
        assert resp.status_code == 200
        return int(resp.get_json()["total"])

    with unit_of_work() as uow:
        counted = int(uow.session.execute(sa.text(
            "SELECT count(*) FROM reconciliation_logs WHERE max_discrepancy_pct IS NOT NULL"
        )).scalar() or 0)
    assert histogram_total() == counted
    with unit_of_work() as uow:
        uow.session.execute(sa.text(  # a count that matches no report
            "INSERT INTO report_tallies (campaign_id, platform, affiliate_id, status, "
            "discrepancy_level, bin, n) VALUES (999998, 'x', 999998, 'MATCHED', '', 2, 5)"))
    assert histogram_total() != counted

    rebuilt = CliRunner().invoke(main, ["tallies", "rebuild"])
    folded = CliRunner().invoke(main, ["tallies", "fold"])

    assert rebuilt.exit_code == 0 and rebuilt.output.startswith("rebuilt: report_tallies ")
    assert folded.exit_code == 0 and folded.output.startswith("folded ")
    assert histogram_total() == counted

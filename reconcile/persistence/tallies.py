"""Running counts kept by the database as the data changes (migration 0016).

Some reads aggregate every row that matches: the results' counts by status and the
discrepancy histogram count every report, the campaign analytics sum every post's current
claim and reading, the open-alert counts count every open alert. On a large history that is
a million rows per page view. Instead, triggers (`tally_triggers.py`) append a delta row to
a tally's `*_deltas` table on every change: the old key's contribution negated and the new
key's added. Appending touches no shared row, so submissions and attempt batches never wait
on a counter, and every write path (intake, attempts, re-runs, quarantine, alert triage,
restores) is counted because the database, not the code, does it. `compact` (beat, see
tasks/tallies.py) folds the deltas into one row per key; a read sums both tables, so it is
exact between folds, and its cost follows the number of keys and of deltas since the last
fold, not the history.

The tallies:

- REPORTS: every report by (campaign, platform, affiliate, status, discrepancy level,
  histogram bin).
- POSTS: every post's current state (its newest report's claim and status, its newest
  snapshot's numbers and sources: what `reads.current.current_rows` gives) by (campaign,
  platform, affiliate, status, each metric's source, which numbers were seen), with the
  sums of claims and seen numbers. Each post is counted twice, once in each of the two
  cuts the analytics show (CUTS): under its platform (affiliate_id 0) and under its
  affiliate (platform ''), so a read returns rows in proportion to platforms plus
  affiliates, not to their combinations (migration 0017). A post's state depends on
  several rows, so here the triggers only mark the post dirty (`post_tally_dirty`: one
  insert, no read, no lock); the fold recomputes the dirty posts' states, adds the
  difference from what each last added (`post_tally_states`) to `post_tallies`, and a
  read does the same for the posts still dirty: exact, at a cost that follows the changes
  since the last fold.
- ALERTS: every alert by (campaign, affiliate, severity, type, status); 0 stands for no
  campaign (an alert with no report) or no affiliate.
- HOURS: every attempt by the UTC hour it finished ("YYYY-MM-DD HH") and status, at three
  levels (LEVELS): all attempts (campaign 0, affiliate 0), per campaign (affiliate 0) and
  per affiliate (campaign 0), so the dashboard's timeline reads a row per hour and status
  whoever asks (migration 0018). Only the hours the timeline can still show are kept
  (HOURS_KEPT): the fold drops older rows, and a rebuild counts no further back.

`rebuild` recounts everything: the migration's backfill, the scale bench's seed (which loads
with the triggers off), and an operator's repair (`reconcile tallies rebuild`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Connection

from reconcile.persistence.models import Base

# Upper edges (inclusive) of the discrepancy histogram's bins, as fractions; the first edge
# is the default tolerance under which a claim counts as MATCHED. A log's bin is the index
# of the first edge its max_discrepancy_pct does not exceed, len(EDGES) above the last, and
# -1 where it has none.
EDGES = (0.05, 0.10, 0.20, 0.50, 1.00)
NO_BIN = -1
METRICS = ("views", "clicks", "conversions")
COMPACT_BATCH = 50_000  # deltas folded per statement: a bounded transaction after a long gap


@dataclass(frozen=True)
class Tally:
    table: str  # one row per key
    deltas: str  # appended by the triggers
    key: tuple[str, ...]
    sums: tuple[str, ...]  # "n" (the count) first

    @property
    def compacted(self) -> Table:
        return Base.metadata.tables[self.table]

    @property
    def pending(self) -> Table:
        return Base.metadata.tables[self.deltas]


REPORTS = Tally("report_tallies", "report_tally_deltas",
                ("campaign_id", "platform", "affiliate_id", "status", "discrepancy_level",
                 "bin"), ("n",))
@dataclass(frozen=True)
class PostTally:
    table: str
    key: tuple[str, ...]
    sums: tuple[str, ...]


POSTS = PostTally("post_tallies",
                  ("campaign_id", "platform", "affiliate_id", "status",
                   *[f"source_{m}" for m in METRICS], *[f"unseen_{m}" for m in METRICS]),
                  ("n", *[f"claimed_{m}" for m in METRICS], *[f"seen_{m}" for m in METRICS]))
ALERTS = Tally("alert_tallies", "alert_tally_deltas",
               ("campaign_id", "affiliate_id", "severity", "type", "status"), ("n",))
HOURS = Tally("attempt_tallies", "attempt_tally_deltas",
              ("hour", "campaign_id", "affiliate_id", "status"), ("n",))
ALL = (REPORTS, ALERTS, HOURS)  # the tallies kept by deltas
# HOURS' levels: (campaign_id, affiliate_id) of an attempt's rows, its post aliased p.
LEVELS = (("0", "0"), ("p.campaign_id", "0"), ("0", "p.affiliate_id"))
# The timeline reads at most 168 hours back (reads.dashboard.TIMELINE_HOURS); a day more, so
# that no clock of the API's, the workers' or the database's is ever near the edge. Without
# a bound the table grows by a row per hour, status and active affiliate, for ever.
HOURS_KEPT = timedelta(days=8)


def hours_kept_from(now: datetime | None = None) -> str:
    """HOURS' oldest kept hour, as keyed, at `now` (the current time if None)."""
    return ((now or datetime.now(UTC)).astimezone(UTC) - HOURS_KEPT).strftime("%Y-%m-%d %H")


def bin_sql(pct: str) -> str:
    """The SQL expression of a log's histogram bin from its `pct` column expression."""
    arms = " ".join(f"WHEN {pct} <= {edge!r} THEN {i}" for i, edge in enumerate(EDGES))
    return f"CASE WHEN {pct} IS NULL THEN {NO_BIN} {arms} ELSE {len(EDGES)} END"


def source_sql(dialect: str, snapshot: str, metric: str) -> str:
    """A snapshot's source of one metric as text (NULL where it names none), as
    `Snapshot.sources[m].as_string()` reads it."""
    if dialect == "postgresql":
        return f"({snapshot}.sources ->> '{metric}')"
    return f"json_extract({snapshot}.sources, '$.{metric}')"


def hour_sql(dialect: str, column: str) -> str:
    """The UTC hour of a timestamp column as text "YYYY-MM-DD HH"."""
    if dialect == "postgresql":
        return f"to_char(date_trunc('hour', timezone('UTC', {column})), 'YYYY-MM-DD HH24')"
    return f"strftime('%Y-%m-%d %H', {column})"


# -- each key's contribution, as SQL over a row ------------------------------------------

def hour_rows_sql(dialect: str, attempts: str, sign: int) -> str:
    """SELECT HOURS' rows (key and n, times `sign`) of the attempts `attempts` gives (a FROM
    item aliased a, with report_id, finished_at and status), at every level."""
    return " UNION ALL ".join(
        f"SELECT {hour_sql(dialect, 'a.finished_at')} AS hour, {campaign} AS campaign_id, "
        f"{affiliate} AS affiliate_id, a.status AS status, {sign} * count(*) AS n "
        f"FROM {attempts} JOIN reports r ON r.id = a.report_id "
        "JOIN posts p ON p.id = r.post_id GROUP BY 1, 2, 3, 4"
        for campaign, affiliate in LEVELS)


def report_key_sql(log: str) -> str:
    """REPORTS' key of a log row (`log` is NEW, OLD or an alias) with its report and post
    as aliases r and p."""
    return (f"p.campaign_id, p.platform, r.affiliate_id, {log}.status, "
            f"COALESCE({log}.discrepancy_level, ''), {bin_sql(f'{log}.max_discrepancy_pct')}")


def alert_key_sql(alert: str) -> str:
    """ALERTS' key of an alert row, its post (if any) as alias p."""
    return (f"COALESCE(p.campaign_id, 0), COALESCE({alert}.affiliate_id, 0), "
            f"{alert}.severity, {alert}.type, {alert}.status")


STATE_COLUMNS = ("post_id", "n", "campaign_id", "platform", "affiliate_id", "status",
                 *[f"claimed_{m}" for m in METRICS], *[f"seen_{m}" for m in METRICS],
                 *[f"source_{m}" for m in METRICS])


def post_state_sql(dialect: str, post: str) -> str:
    """SELECT the current state of the posts `post` names (a condition on alias p), as
    STATE_COLUMNS: n is 1 where the post's newest report has its log, as
    `reads.current.current_rows` counts a post, else 0."""
    values = ["p.id", "CASE WHEN l.id IS NULL THEN 0 ELSE 1 END", "p.campaign_id",
              "p.platform", "p.affiliate_id", "l.status",
              *[f"r.claimed_{m}" for m in METRICS], *[f"s.{m}" for m in METRICS],
              *[source_sql(dialect, "s", m) for m in METRICS]]
    named = ", ".join(f"{v} AS {c}" for v, c in zip(values, STATE_COLUMNS, strict=True))
    return (f"SELECT {named} FROM posts p "
            "LEFT JOIN reports r ON r.id = (SELECT max(id) FROM reports WHERE post_id = p.id) "
            "LEFT JOIN reconciliation_logs l ON l.report_id = r.id "
            "LEFT JOIN snapshots s ON s.id = "
            f"(SELECT max(id) FROM snapshots WHERE post_id = p.id) WHERE {post}")


# The two cuts of POSTS: a post's (platform, affiliate_id) in each, from its state row.
CUTS = (("{state}.platform", "0"), ("''", "{state}.affiliate_id"))


def post_delta_sql(state: str, sign: int, cut: int) -> str:
    """POSTS' key and sums of a post state row (alias `state`) in CUTS[cut], times `sign`,
    each under its column's name."""
    platform, affiliate = (c.format(state=state) for c in CUTS[cut])
    key = [f"{state}.campaign_id", platform, affiliate,
           f"{state}.status", *[f"COALESCE({state}.source_{m}, '')" for m in METRICS],
           *[f"CASE WHEN {state}.seen_{m} IS NULL THEN 1 ELSE 0 END" for m in METRICS]]
    sums = [f"{sign} * {state}.n", *[f"{sign} * {state}.claimed_{m}" for m in METRICS],
            *[f"{sign} * COALESCE({state}.seen_{m}, 0)" for m in METRICS]]
    return ", ".join(f"{v} AS {c}" for v, c in
                     zip(key + sums, POSTS.key + POSTS.sums, strict=True))


def post_cut_rows_sql(states: str, sign: int) -> str:
    """SELECT both cuts' rows (named, times `sign`) of the counted post states (n 1) that
    `states` gives: a FROM clause whose state rows are aliased st."""
    return " UNION ALL ".join(f"SELECT {post_delta_sql('st', sign, cut)} "
                              f"FROM {states} WHERE st.n = 1" for cut in range(len(CUTS)))


def columns(tally: Tally | PostTally) -> str:
    return ", ".join(tally.key + tally.sums)


# -- folding and recounting ---------------------------------------------------------------

def _fold_into(tally: Tally, source: str) -> str:
    keys = ", ".join(tally.key)
    sums = ", ".join(f"sum({s})" for s in tally.sums)
    updates = ", ".join(f"{s} = {tally.table}.{s} + excluded.{s}" for s in tally.sums)
    return (f"INSERT INTO {tally.table} ({columns(tally)}) SELECT {keys}, {sums} "
            f"FROM {source} WHERE true GROUP BY {keys} "  # SQLite's upsert needs a WHERE
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}")


def _compact_batch(conn: Connection, tally: Tally, batch: int) -> int:
    if conn.dialect.name == "postgresql":
        # One statement deletes the deltas it folds: a delta committed meanwhile is either
        # deleted and counted, or left for the next fold; never dropped uncounted, whatever
        # order ids commit in.
        return int(conn.execute(text(
            f"WITH gone AS (DELETE FROM {tally.deltas} WHERE id IN "
            f"(SELECT id FROM {tally.deltas} ORDER BY id LIMIT :batch) "
            f"RETURNING {columns(tally)}), folded AS ({_fold_into(tally, 'gone')} "
            "RETURNING 1) SELECT count(*) FROM gone"), {"batch": batch}).scalar() or 0)
    # SQLite admits one writer at a time: read, fold and delete under the write lock.
    top = conn.scalar(text(f"SELECT id FROM {tally.deltas} ORDER BY id LIMIT 1 OFFSET :skip"),
                      {"skip": batch - 1})
    bound = "" if top is None else f" WHERE id <= {int(top)}"
    n = int(conn.scalar(text(f"SELECT count(*) FROM {tally.deltas}{bound}")) or 0)
    conn.execute(text(_fold_into(tally, f"(SELECT * FROM {tally.deltas}{bound})")))
    conn.execute(text(f"DELETE FROM {tally.deltas}{bound}"))
    return n


def compact(conn: Connection, batch: int = COMPACT_BATCH,
            tallies: Iterable[Tally] = ALL, now: datetime | None = None) -> int:
    """Fold every tally's deltas into one row per key, and the dirty posts' states into
    POSTS, a batch at a time; the number of deltas and dirty marks folded. Keys whose every
    sum came to 0 are dropped, and so are HOURS' hours older than HOURS_KEPT before `now`
    (a delta of such an hour, from a late change, is folded and dropped with them)."""
    folded = 0
    for tally in tallies:
        while True:
            n = _compact_batch(conn, tally, batch)
            folded += n
            if n < batch:
                break
        conn.execute(text(f"DELETE FROM {tally.table} WHERE "
                          + " AND ".join(f"{s} = 0" for s in tally.sums)))
        if tally is HOURS:  # the key's first column: a range of the primary key
            conn.execute(text(f"DELETE FROM {HOURS.table} WHERE hour < :kept"),
                         {"kept": hours_kept_from(now)})
    return folded + fold_posts(conn, batch)


# -- POSTS: dirty marks, folded here -------------------------------------------------------

# The posts marked dirty: by a snapshot (post_id) or by a log (report_id, resolved here so
# the trigger reads nothing). A scalar subquery, so each is one probe of reports, never a
# join the planner could turn into a scan of every report.
DIRTY_POSTS = ("SELECT COALESCE(d.post_id, (SELECT r.post_id FROM reports r "
               "WHERE r.id = d.report_id)) AS post_id FROM post_tally_dirty d")
FOLD_LOCK = 7_316_001  # PostgreSQL advisory lock: one fold of the posts at a time


def _post_keys(row: Any) -> list[tuple[tuple[Any, ...], tuple[int, ...]]]:
    """POSTS' keys (one per cut) and sums of a post state row, as `post_delta_sql`
    computes them."""
    alike = (row.status, *[getattr(row, f"source_{m}") or "" for m in METRICS],
             *[int(getattr(row, f"seen_{m}") is None) for m in METRICS])
    sums = (1, *[int(getattr(row, f"claimed_{m}") or 0) for m in METRICS],
            *[int(getattr(row, f"seen_{m}") or 0) for m in METRICS])
    campaign = int(row.campaign_id)
    return [((campaign, row.platform, 0, *alike), sums),
            ((campaign, "", int(row.affiliate_id), *alike), sums)]


def _states(conn: Connection, sql: str, ids: list[int]) -> dict[int, Any]:
    statement = text(sql).bindparams(bindparam("ids", expanding=True))
    return {row.post_id: row for row in conn.execute(statement, {"ids": ids})}


def _refresh(conn: Connection, post_ids: list[int]) -> None:
    """Recompute these posts' states; add to POSTS what changed since each last added."""
    dialect = conn.dialect.name
    keys, sums = ", ".join(POSTS.key), ", ".join(POSTS.sums)
    upsert_tally = text(
        f"INSERT INTO {POSTS.table} ({keys}, {sums}) VALUES "
        f"({', '.join(':' + c for c in POSTS.key + POSTS.sums)}) ON CONFLICT ({keys}) "
        "DO UPDATE SET " + ", ".join(f"{c} = {POSTS.table}.{c} + excluded.{c}"
                                     for c in POSTS.sums))
    upsert_state = text(
        f"INSERT INTO post_tally_states ({', '.join(STATE_COLUMNS)}) VALUES "
        f"({', '.join(':' + c for c in STATE_COLUMNS)}) ON CONFLICT (post_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in STATE_COLUMNS[1:]))
    for start in range(0, len(post_ids), 1000):
        chunk = post_ids[start:start + 1000]
        was = _states(conn, "SELECT * FROM post_tally_states WHERE post_id IN :ids", chunk)
        cur = _states(conn, post_state_sql(dialect, "p.id IN :ids"), chunk)
        change: dict[tuple[Any, ...], list[int]] = {}
        changed = []
        for pid, now in cur.items():
            before = was.get(pid)
            if before is not None and tuple(before) == tuple(now):
                continue
            changed.append(dict(now._mapping))
            for row, sign in ((before, -1), (now, 1)):
                if row is not None and row.n == 1:
                    for key, values in _post_keys(row):
                        total = change.setdefault(key, [0] * len(values))
                        for i, v in enumerate(values):
                            total[i] += sign * v
        rows = [dict(zip(POSTS.key + POSTS.sums, (*k, *v), strict=True))
                for k, v in change.items() if any(v)]
        if rows:
            conn.execute(upsert_tally, rows)
        if changed:
            conn.execute(upsert_state, changed)


def fold_posts(conn: Connection, batch: int = COMPACT_BATCH) -> int:
    """Recompute the dirty posts' states into POSTS and clear their marks; the marks
    cleared. One fold at a time (a lock); a mark made meanwhile stays for the next fold,
    and a read counts its post from the data until then."""
    pg = conn.dialect.name == "postgresql"
    if pg:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FOLD_LOCK})
    folded = 0
    while True:
        if pg:
            marks = conn.execute(text(
                "DELETE FROM post_tally_dirty WHERE id IN (SELECT id FROM post_tally_dirty "
                "ORDER BY id LIMIT :batch) RETURNING post_id, report_id"),
                {"batch": batch}).all()
        else:  # one writer at a time: read, then delete, under the write lock
            top = conn.scalar(text("SELECT id FROM post_tally_dirty ORDER BY id "
                                   "LIMIT 1 OFFSET :skip"), {"skip": batch - 1})
            bound = "" if top is None else f" WHERE id <= {int(top)}"
            marks = conn.execute(text(f"SELECT post_id, report_id FROM post_tally_dirty{bound}"
                                      )).all()
            conn.execute(text(f"DELETE FROM post_tally_dirty{bound}"))
        posts = {p for p, _ in marks if p is not None}
        reports = [r for p, r in marks if p is None and r is not None]
        for start in range(0, len(reports), 1000):
            posts.update(conn.execute(text("SELECT post_id FROM reports WHERE id IN :ids")
                                      .bindparams(bindparam("ids", expanding=True)),
                                      {"ids": reports[start:start + 1000]}).scalars())
        _refresh(conn, sorted(posts))
        folded += len(marks)
        if len(marks) < batch:
            break
    conn.execute(text(f"DELETE FROM {POSTS.table} WHERE "
                      + " AND ".join(f"{s} = 0" for s in POSTS.sums)))
    return folded


def _dirty_posts_sql(dialect: str) -> str:
    """The CTEs `mine` (the campaign's posts still dirty), `was` (what each last added: its
    post_tally_states row) and `fresh` (its state now)."""
    # Each mark's post and its campaign by a probe (scalar subqueries), never a join the
    # planner could turn into a scan of every post.
    mine = (f"SELECT DISTINCT d.post_id FROM ({DIRTY_POSTS}) d WHERE "
            "(SELECT p.campaign_id FROM posts p WHERE p.id = d.post_id) = :campaign")
    if dialect == "postgresql":
        # The planner guesses how many marks there are from the table's size, and once it
        # guessed a few thousand it hashed every post's state, post and snapshot instead of
        # probing the dirty posts' (30 -> 400 ms at 3,400 marks on the scale bench's
        # database). Unnesting an array it cannot see into, it plans for 10 rows: one probe
        # per dirty post, however many there are.
        mine = f"SELECT unnest(ARRAY({mine})) AS post_id"
    return (f"mine AS ({mine}), was AS (SELECT st.* FROM post_tally_states st JOIN mine ON "
            "mine.post_id = st.post_id), "
            f"fresh AS ({post_state_sql(dialect, 'p.id IN (SELECT post_id FROM mine)')}), ")


def post_cuts_sql(dialect: str) -> str:
    """One campaign's (:campaign) posts in both cuts: the groups of POSTS' key without the
    campaign (platform None in the affiliate cut, affiliate_id None in the platform cut),
    each with its count and sums (seen: NULL where unseen). The folded rows, minus what
    each post still dirty last added, plus its state now: exact, in one statement, so one
    snapshot (a fold commits its rows and clears its marks together; a read sees all of it
    or none)."""
    seen = ", ".join(f"CASE WHEN unseen_{m} = 1 THEN NULL ELSE CAST(sum(seen_{m}) AS BIGINT) "
                     "END" for m in METRICS)
    return (
        "WITH " + _dirty_posts_sql(dialect) +
        f"parts AS (SELECT {columns(POSTS)} FROM {POSTS.table} WHERE campaign_id = :campaign "
        "UNION ALL " + post_cut_rows_sql("was st", -1)
        + " UNION ALL " + post_cut_rows_sql("fresh st", 1) + ") "
        "SELECT NULLIF(platform, ''), NULLIF(affiliate_id, 0), status, "
        + ", ".join(f"NULLIF(source_{m}, '')" for m in METRICS) + ", "
        + ", ".join(f"unseen_{m} = 1" for m in METRICS) + ", "
        # As BIGINT: PostgreSQL sums bigints as numeric, which the driver would turn into
        # Decimals, one cell at a time.
        + ", ".join(f"CAST(sum({c}) AS BIGINT)" for c in POSTS.sums[:4]) + f", {seen} "
        f"FROM parts GROUP BY {', '.join(POSTS.key[1:])} HAVING sum(n) <> 0")


def posts_from_states_sql() -> str:
    """INSERT POSTS' rows counted from post_tally_states (into an empty table)."""
    return (f"INSERT INTO {POSTS.table} ({columns(POSTS)}) SELECT "
            f"{', '.join(POSTS.key)}, {', '.join(f'sum({s})' for s in POSTS.sums)} FROM "
            f"({post_cut_rows_sql('post_tally_states st', 1)}) AS d "
            f"GROUP BY {', '.join(POSTS.key)}")


def _recount_sql(dialect: str, tally: Tally, now: datetime | None) -> str:
    if tally is REPORTS:
        return (f"INSERT INTO {REPORTS.table} ({columns(REPORTS)}) SELECT "
                f"{report_key_sql('l')}, count(*) FROM reconciliation_logs l JOIN reports r "
                "ON r.id = l.report_id JOIN posts p ON p.id = r.post_id GROUP BY 1, 2, 3, 4, 5, 6")
    if tally is ALERTS:
        return (f"INSERT INTO {ALERTS.table} ({columns(ALERTS)}) SELECT {alert_key_sql('a')}, "
                "count(*) FROM alerts a LEFT JOIN reports r ON r.id = a.report_id "
                "LEFT JOIN posts p ON p.id = r.post_id GROUP BY 1, 2, 3, 4, 5")
    # Each level's keys are its own (a campaign or affiliate id is never 0): no overlap. The
    # hours the fold would drop are not counted (the key is our own digits: safe inline).
    return (f"INSERT INTO {HOURS.table} ({columns(HOURS)}) SELECT {columns(HOURS)} FROM "
            f"({hour_rows_sql(dialect, 'attempts a', 1)}) AS h "
            f"WHERE h.hour >= '{hours_kept_from(now)}'")


def rebuild_sql(dialect: str, kept: Iterable[Tally] = ALL,
                now: datetime | None = None) -> list[str]:
    """The statements of `rebuild`, for a caller holding a raw connection (the seed)."""
    kept = tuple(kept)
    lock = (["LOCK TABLE reconciliation_logs, reports, snapshots, alerts"
             + (", attempts" if HOURS in kept else "") + " IN SHARE MODE"]
            if dialect == "postgresql" else [])
    clear = [f"DELETE FROM {t}" for tally in kept for t in (tally.deltas, tally.table)]
    return [*lock, *clear, f"DELETE FROM {POSTS.table}", "DELETE FROM post_tally_states",
            "DELETE FROM post_tally_dirty",
            f"INSERT INTO post_tally_states ({', '.join(STATE_COLUMNS)}) "
            + post_state_sql(dialect, "true"), posts_from_states_sql(),
            *[_recount_sql(dialect, tally, now) for tally in kept]]


def rebuild(conn: Connection, kept: Iterable[Tally] = ALL,
            now: datetime | None = None) -> dict[str, int]:
    """Recount every tally (of those kept by deltas, the `kept` ones) from the data and drop
    the deltas; the keys of each. HOURS counts the hours it keeps at `now`. Run inside the
    caller's transaction; on PostgreSQL writers wait for it (table locks), so no change
    falls between the count and the drop."""
    kept = tuple(kept)
    for statement in rebuild_sql(conn.dialect.name, kept, now):
        conn.exec_driver_sql(statement)
    return {t: int(conn.scalar(text(f"SELECT count(*) FROM {t}")) or 0)
            for t in (*[tally.table for tally in kept], POSTS.table)}


# -- reading ------------------------------------------------------------------------------

UNFOLDED_CAP = 1_000_000  # counted up to this, so the gauge stays cheap however far behind


def unfolded(conn: Connection, cap: int = UNFOLDED_CAP) -> dict[str, int]:
    """The changes each tally holds that no fold has taken yet (its deltas; POSTS: its
    dirty marks), each counted up to `cap`. Reads stay exact whatever these are, but cost
    more as they grow: they grow only while beat's fold is not running."""
    sources = {**{tally.table: tally.deltas for tally in ALL}, POSTS.table: "post_tally_dirty"}
    return {table: int(conn.scalar(text(f"SELECT count(*) FROM (SELECT 1 FROM {source} "
                                        "LIMIT :cap) AS pending"), {"cap": cap}) or 0)
            for table, source in sources.items()}


Narrowing = Callable[[Table], Iterable[ColumnElement[bool]]]


def counted(tally: Tally, *by: str, where: Narrowing | None = None,
            sums: tuple[str, ...] = ("n",)) -> Select:
    """Sum `sums` by the key columns `by` over the folded rows and the pending deltas, each
    narrowed by `where`; keys whose count comes to 0 (every row that had them moved on) are
    left out. The columns come out as named, the sums under their own names."""
    parts = []
    for table in (tally.compacted, tally.pending):
        conditions = list(where(table)) if where is not None else []
        parts.append(select(*[table.c[c] for c in (*by, *sums)]).where(*conditions))
    both = union_all(*parts).subquery("tallied")
    totals = [func.sum(both.c[s]).label(s) for s in sums]
    count = func.sum(both.c.n) if "n" in sums else None
    q = select(*[both.c[c] for c in by], *totals).group_by(*[both.c[c] for c in by])
    return q.having(count != literal(0)) if count is not None else q


def one_total(conn_or_session: Any, tally: Tally, where: Narrowing) -> int:
    """The count of everything `where` narrows `tally` to."""
    tallied = counted(tally, where=where).subquery()
    return int(conn_or_session.scalar(select(func.coalesce(func.sum(tallied.c.n), 0))) or 0)

"""Seed a large history into one campaign with PostgreSQL COPY, for `reconcile bench --scale`.

Going through the API would take hours for a million reports; COPY takes well under a
minute. The rows are what the pipeline itself would have left behind: posts spread over
the affiliates (a few post a lot, most a little) and the platforms (unevenly), several
reports per post (each update supersedes the last), a reconciliation log per report, an
attempt and a snapshot per reconciled report, and an alert per over-claim. The newest
report of a post is still PENDING now and then; older ones are all terminal. Every row
is made from a seeded generator, so two runs with the same sizes seed the same data.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reconcile.persistence import tallies
from reconcile.persistence.tally_triggers import TRIGGERED

# Outcomes of a terminal report, with weights out of 100 (about what the bench's mix and
# the platforms' gaps give), and the worst discrepancy each outcome's range allows.
OUTCOMES = (
    ("MATCHED", None, 56, (0.0, 0.05)),
    ("DISCREPANCY_LOW", "LOW", 14, (0.05, 0.10)),
    ("DISCREPANCY_MEDIUM", "MEDIUM", 8, (0.10, 0.20)),
    ("DISCREPANCY_HIGH", "HIGH", 4, (0.20, 0.50)),
    ("AFFILIATE_OVERCLAIMED", "HIGH", 10, (0.20, 1.50)),
    ("INCOMPLETE_PLATFORM_DATA", None, 5, (0.0, 0.05)),
    ("MISSING_PLATFORM_DATA", None, 3, None),
)
PLATFORM_WEIGHTS = (("youtube", 30), ("tiktok", 25), ("instagram", 20), ("reddit", 15),
                    ("x", 10))
PENDING_LATEST = 0.03  # share of posts whose newest report is not reconciled yet
HISTORY_DAYS = 180  # the seeded reports are spread over this many days before now
OPEN_ALERT_DAYS = 7  # alerts newer than this are still OPEN, older ones RESOLVED
SOURCES = (  # where a snapshot's clicks and conversions came from, with weights
    ({"views": "platform", "clicks": "tracked", "conversions": "postback"}, 70),
    ({"views": "platform", "clicks": "platform", "conversions": "none"}, 20),
    ({"views": "platform", "clicks": "none", "conversions": "none"}, 10),
)
CHUNK = 50_000  # posts per COPY batch: bounded memory whatever the size


@dataclass(frozen=True)
class SeedPlan:
    campaign_id: int
    affiliate_ids: list[int]
    reports: int
    posts: int
    seed: int = 19


@dataclass
class Seeded:
    posts: int = 0
    reports: int = 0
    attempts: int = 0
    snapshots: int = 0
    alerts: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def reports_per_post(posts: int, reports: int, rng: random.Random) -> list[int]:
    """How many reports each post has: at least one, `reports` in all, a long tail."""
    counts = [1] * posts
    extra = reports - posts
    if extra > 0:
        # Weighted by a per-post activity drawn from a skewed law: most posts are updated a
        # few times, some many times.
        activity = [rng.paretovariate(1.5) for _ in range(posts)]
        for i in rng.choices(range(posts), weights=activity, k=extra):
            counts[i] += 1
    return counts


def _copy(cursor: Any, table: str, columns: tuple[str, ...], rows: list[str]) -> None:
    if rows:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN",
                           io.StringIO("".join(rows)))


def _ts(value: datetime) -> str:
    return value.isoformat()


def _line(*values: Any) -> str:
    r"""One COPY text row: tab-separated, \N for NULL (no value here holds a tab or newline)."""
    return "\t".join(r"\N" if v is None else str(v) for v in values) + "\n"


POST_COLUMNS = ("id", "affiliate_id", "campaign_id", "platform", "url", "normalized_url",
                "platform_post_id", "created_at")
REPORT_COLUMNS = ("id", "post_id", "affiliate_id", "claimed_views", "claimed_clicks",
                  "claimed_conversions", "suspicion_flags", "priority", "submitted_at")
LOG_COLUMNS = ("report_id", "status", "discrepancy_level", "attempt_count", "last_attempt_at",
               "is_terminal", "confidence_ratio", "missing_fields", "max_discrepancy_pct",
               "metrics", "rules_version", "updated_at", "failures")
ATTEMPT_COLUMNS = ("id", "report_id", "attempt_number", "status", "discrepancy_level",
                   "confidence_ratio", "max_discrepancy_pct", "metrics", "rules_version",
                   "trigger", "started_at", "finished_at", "duration_ms")
SNAPSHOT_COLUMNS = ("attempt_id", "report_id", "post_id", "attempt_number", "views", "likes",
                    "comments", "shares", "link_clicks", "clicks", "conversions", "sources",
                    "fetched_at")
ALERT_COLUMNS = ("rule", "dedupe_key", "type", "category", "severity", "status", "title",
                 "message", "affiliate_id", "platform", "report_id", "threshold_breached",
                 "deliveries", "created_at", "resolved_at")


class _Ids:
    """The next free id of each table seeded with explicit ids."""

    def __init__(self, cursor: Any) -> None:
        self.next: dict[str, int] = {}
        for table in ("posts", "reports", "attempts"):
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
            self.next[table] = int(cursor.fetchone()[0])

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def _affiliate_picker(affiliate_ids: list[int], rng: random.Random) -> Callable[[], int]:
    """A few affiliates post most of the campaign (weights 1/rank), the rest a little."""
    weights = [1 / (rank + 1) for rank in range(len(affiliate_ids))]
    return lambda: rng.choices(affiliate_ids, weights=weights)[0]


def _outcome(rng: random.Random) -> tuple[str, str | None, tuple[float, float] | None]:
    roll = rng.uniform(0, sum(o[2] for o in OUTCOMES))
    for status, level, weight, pct in OUTCOMES:
        roll -= weight
        if roll <= 0:
            return status, level, pct
    return OUTCOMES[0][0], OUTCOMES[0][1], OUTCOMES[0][3]


class _Batch:
    """The COPY rows of one chunk of posts, built in memory then sent table by table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[str]] = {t: [] for t in (
            "posts", "reports", "reconciliation_logs", "attempts", "snapshots", "alerts")}

    def send(self, cursor: Any) -> None:
        columns = {"posts": POST_COLUMNS, "reports": REPORT_COLUMNS,
                   "reconciliation_logs": LOG_COLUMNS, "attempts": ATTEMPT_COLUMNS,
                   "snapshots": SNAPSHOT_COLUMNS, "alerts": ALERT_COLUMNS}
        for table, rows in self.rows.items():  # parents before children
            _copy(cursor, table, columns[table], rows)


def _report_rows(batch: _Batch, ids: _Ids, rng: random.Random, post: dict[str, Any],
                 report_at: datetime, newest: bool, now: datetime, tally: Seeded) -> None:
    report_id = ids.take("reports")
    truth = rng.randint(200, 200_000)
    pending = newest and rng.random() < PENDING_LATEST
    status, level, pct_range = ("PENDING", None, None) if pending else _outcome(rng)
    pct = None if pct_range is None else round(rng.uniform(*pct_range), 4)
    claimed = round(truth * (1 + (pct or 0)))
    batch.rows["reports"].append(_line(
        report_id, post["id"], post["affiliate_id"], claimed, claimed // 40, claimed // 800,
        "[]", "normal", _ts(report_at)))
    tally.reports += 1
    finished = report_at + timedelta(seconds=rng.uniform(0.2, 5))
    batch.rows["reconciliation_logs"].append(_line(
        report_id, status, level, 0 if pending else 1, None if pending else _ts(finished),
        "f" if pending else "t", None if pending else 1.0, "[]", pct, "{}",
        None if pending else "bench", _ts(finished), 0))
    if pending:
        return
    attempt_id = ids.take("attempts")
    batch.rows["attempts"].append(_line(
        attempt_id, report_id, 1, status, level, 1.0, pct, "{}", "bench", "submission",
        _ts(report_at), _ts(finished), round(rng.uniform(50, 900), 1)))
    tally.attempts += 1
    if status != "MISSING_PLATFORM_DATA":
        sources = rng.choices([s for s, _ in SOURCES], weights=[w for _, w in SOURCES])[0]
        clicks = truth // 50 if sources["clicks"] != "none" else None
        conversions = truth // 1000 if sources["conversions"] != "none" else None
        batch.rows["snapshots"].append(_line(
            attempt_id, report_id, post["id"], 1, truth, truth // 25, truth // 150,
            truth // 400, clicks if sources["clicks"] == "platform" else None,
            clicks, conversions, json.dumps(sources), _ts(finished)))
        tally.snapshots += 1
    if status == "AFFILIATE_OVERCLAIMED":
        critical = (pct or 0) > 0.5
        is_open = now - finished < timedelta(days=OPEN_ALERT_DAYS)
        batch.rows["alerts"].append(_line(
            "R1", f"{report_id}:R1", "HIGH_DISCREPANCY", "FRAUD",
            "CRITICAL" if critical else "HIGH", "OPEN" if is_open else "RESOLVED",
            f"Over-claim on report {report_id}", "Claimed views above the platform's.",
            post["affiliate_id"], post["platform"], report_id, "{}", "[]", _ts(finished),
            None if is_open else _ts(finished + timedelta(hours=6))))
        tally.alerts += 1


def _chunks(plan: SeedPlan, rng: random.Random) -> Iterator[tuple[int, list[int]]]:
    counts = reports_per_post(plan.posts, plan.reports, rng)
    for start in range(0, plan.posts, CHUNK):
        yield start, counts[start:start + CHUNK]


def seed(raw_connection: Any, plan: SeedPlan, progress: Callable[[str], None],
         now: datetime | None = None) -> Seeded:
    """COPY the plan's rows into the database behind a psycopg2 connection, then ANALYZE."""
    import time

    started = time.monotonic()
    now = now or datetime.now(UTC)
    tally = Seeded()
    cursor = raw_connection.cursor()
    # Loaded with the running counts' triggers off (a trigger per row would double the
    # time), then counted once (reconcile/persistence/tallies.py).
    for table in TRIGGERED:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    raw_connection.commit()
    try:
        _load(raw_connection, cursor, plan, now, tally, progress)
    finally:
        raw_connection.rollback()
        for table in TRIGGERED:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        raw_connection.commit()
    for statement in tallies.rebuild_sql("postgresql"):
        cursor.execute(statement)
    for table, column in (("posts", "id"), ("reports", "id"), ("attempts", "id"),
                          ("snapshots", "id"), ("alerts", "id"),
                          ("reconciliation_logs", "id")):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                       f"(SELECT COALESCE(MAX({column}), 1) FROM {table}))")
    raw_connection.commit()
    old_isolation = raw_connection.isolation_level
    raw_connection.set_isolation_level(0)  # VACUUM cannot run inside a transaction
    cursor.execute("VACUUM ANALYZE")
    raw_connection.set_isolation_level(old_isolation)
    cursor.close()
    tally.seconds = round(time.monotonic() - started, 1)
    return tally


def _load(raw_connection: Any, cursor: Any, plan: SeedPlan, now: datetime, tally: Seeded,
          progress: Callable[[str], None]) -> None:
    """COPY every chunk of posts with their reports, committing each."""
    rng = random.Random(plan.seed)
    pick_affiliate = _affiliate_picker(plan.affiliate_ids, rng)
    platforms = [p for p, _ in PLATFORM_WEIGHTS]
    platform_weights = [w for _, w in PLATFORM_WEIGHTS]
    span = timedelta(days=HISTORY_DAYS)
    ids = _Ids(cursor)
    for start, counts in _chunks(plan, rng):
        batch = _Batch()
        for offset, n_reports in enumerate(counts):
            i = start + offset
            created = now - span + span * (i / plan.posts)  # newer posts have higher ids
            platform = rng.choices(platforms, weights=platform_weights)[0]
            post = {"id": ids.take("posts"), "affiliate_id": pick_affiliate(),
                    "platform": platform}
            url = f"https://scale.invalid/{platform}/{post['id']}"
            batch.rows["posts"].append(_line(
                post["id"], post["affiliate_id"], plan.campaign_id, platform, url, url,
                f"scale{post['id']}", _ts(created)))
            tally.posts += 1
            room = (now - created) / (n_reports + 1)  # its reports, spread up to now
            for k in range(n_reports):
                _report_rows(batch, ids, rng, post, created + room * k, k == n_reports - 1,
                             now, tally)
        batch.send(cursor)
        raw_connection.commit()
        progress(f"seeded {tally.posts:,} posts, {tally.reports:,} reports")

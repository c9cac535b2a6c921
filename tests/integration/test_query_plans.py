"""No query without an index: the hot reads' plans never read a big table from end to end.

The statements are the ones the read paths really send: each use case runs against a
database seeded (with the bench's COPY seeder) with thousands of posts and reports, every
statement it sends is recorded, and each is EXPLAINed with sequential scans, hash joins and
merge joins disabled (a small test database would otherwise rightly prefer them). The
planner then takes an index wherever one can serve, and every join is a nested loop whose
inner side is an index probe. What is left reading a whole big table is a `Seq Scan` (no
index can serve) or an index scan with no condition (a walk of a whole index: nothing
narrows the query), except an ordered walk that a LIMIT stops early (newest first). Such a
query reads the whole table at any size, so its cost grows with the history.

WHOLE_HISTORY lists the few reads that aggregate the whole history on purpose (docs/
performance.md, "Flat cost as data grows"): the test fails on any other, and on one of
those that no longer needs to.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from tests.conftest import TEST_DB, _create_postgres_database, requires_postgres

pytestmark = pytest.mark.usefixtures("stack")

# Tables that grow with the traffic; the others (users, campaigns, platforms, switches)
# stay small whatever the history, and the planner reads them whole when that is cheaper.
BIG = frozenset({"posts", "reports", "reconciliation_logs", "attempts", "snapshots",
                 "alerts", "trust_ledger", "trust_effects", "clicks", "conversions",
                 "audit_events", "tracked_links"})


@pytest.fixture(scope="module")
def seeded(stack: dict[str, str]) -> Iterator[dict[str, Any]]:
    """A database of its own: 2,000 posts and 10,000 reports in the campaign the reads ask
    about, and three times as many in another client's campaign, as a server holding many
    campaigns would have."""
    requires_postgres()
    import sqlalchemy as sa

    from reconcile.bench.scale import create_scale_fixtures
    from reconcile.bench.seed import SeedPlan, seed
    from reconcile.persistence.db import dispose_engines
    from reconcile.persistence.migrate import upgrade

    url, drop = _create_postgres_database(TEST_DB)
    before = os.environ["DATABASE_URL"]
    try:
        upgrade(url)
        os.environ["DATABASE_URL"] = url
        dispose_engines()
        fx = create_scale_fixtures(affiliates=5)
        other = _other_campaign()
        engine = sa.create_engine(url)
        raw = engine.raw_connection()
        try:
            for campaign, reports, posts in ((fx.base.campaign_id, 10_000, 2_000),
                                             (other, 30_000, 6_000)):
                seed(raw.driver_connection, SeedPlan(campaign, fx.affiliate_ids,
                                                     reports=reports, posts=posts),
                     lambda _line: None, now=datetime.now(UTC))
        finally:
            raw.close()
            engine.dispose()
        yield {"url": url, "fixtures": fx}
    finally:
        os.environ["DATABASE_URL"] = before
        dispose_engines()
        drop()


def _other_campaign() -> int:
    from reconcile.services.admin import accounts, campaigns
    from reconcile.services.principal import SYSTEM
    from reconcile.vocabulary import PLATFORMS

    client_id = accounts.create_client("Another Advertiser")["id"]
    return int(campaigns.create_campaign(SYSTEM, name="Another", client_id=client_id,
                                         platforms=list(PLATFORMS))["id"])


def _recorded(call: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run `call` and return every SELECT it sent, with its parameters."""
    from reconcile.persistence.db import get_engine

    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


# Reads that aggregate the whole history on purpose, and the one table each reads whole.
# None since migration 0016: an operator's counts by status of every report, and the
# histogram of every report, read running counts (reconcile/persistence/tallies.py).
WHOLE_HISTORY: set[tuple[str, str]] = set()

# Nodes that read all of their input before giving a row: a LIMIT above them stops nothing.
BLOCKING = frozenset({"Sort", "Aggregate", "Hash", "Materialize", "SetOp", "WindowAgg",
                      "Unique", "Group", "Incremental Sort"})
SCANS = frozenset({"Index Scan", "Index Only Scan"})


def _whole_reads(plan: dict[str, Any], limited: bool = False,
                 partial: frozenset[str] = frozenset()) -> Iterator[str]:
    """The big tables this plan reads from end to end. A walk of a partial index is not
    one: the index holds only the rows its predicate names (the open alerts, say), so it
    follows that state, not the history."""
    node, table = plan["Node Type"], plan.get("Relation Name", "")
    if table in BIG and (node == "Seq Scan" or (
            node in SCANS and "Index Cond" not in plan and not limited
            and plan.get("Index Name") not in partial)):
        yield table
    limited = (limited or node == "Limit") and node not in BLOCKING
    for child in plan.get("Plans", []):
        yield from _whole_reads(child, limited, partial)


def _whole_table_reads(url: str, statements: list[tuple[str, Any]]) -> list[str]:
    import sqlalchemy as sa

    found = []
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '% WHERE %'")
        partial = frozenset(name for (name,) in cursor.fetchall())
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
            cursor.execute(f"SET {setting} = off")
        for statement, parameters in statements:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
            plan = cursor.fetchone()[0][0]["Plan"]
            found += [f"{table} in: {' '.join(statement.split())[:300]}"
                      for table in _whole_reads(plan, partial=partial)]
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return found


def _reads(fx: Any) -> dict[str, Callable[[], Any]]:
    """The hot reads, as each kind of caller asks them."""
    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import User
    from reconcile.services.alerts.manage import list_alerts
    from reconcile.services.principal import Principal
    from reconcile.services.reads import analytics, dashboard, queries
    from reconcile.vocabulary import Role

    with unit_of_work() as uow:
        admin = uow.session.query(User).filter(User.role == Role.ADMIN).one()
        client = uow.session.query(User).filter(User.role == Role.CLIENT).one()
        principals = {"admin": Principal(admin.id, Role.ADMIN),
                      "client": Principal(client.id, Role.CLIENT, client.client_id),
                      # the least active: the most active holds half of this small campaign
                      "affiliate": Principal(fx.affiliate_ids[-1], Role.AFFILIATE)}
    campaign = fx.base.campaign_id
    reads: dict[str, Callable[[], Any]] = {}
    for who, p in principals.items():
        reads |= {
            f"report list ({who})": lambda p=p: queries.list_submissions(p),
            f"report list of the campaign ({who})":
                lambda p=p: queries.list_submissions(p, campaign_id=campaign),
            f"results ({who})": lambda p=p: queries.list_results(p),
            f"open alerts ({who})": lambda p=p: list_alerts(p, status="OPEN", limit=20),
            f"open alert counts ({who})": lambda p=p: dashboard.open_alert_counts(p),
        }
    reads["discrepancies (admin)"] = lambda: dashboard.discrepancy_histogram(
        principals["admin"])
    for who in ("admin", "client"):
        p = principals[who]
        reads |= {
            f"analytics ({who})": lambda p=p: analytics.campaign_analytics(p, campaign),
            f"timeline ({who})": lambda p=p: dashboard.status_timeline(p),
            f"timeline of the campaign ({who})":
                lambda p=p: dashboard.status_timeline(p, campaign_id=campaign),
            f"discrepancies of the campaign ({who})":
                lambda p=p: dashboard.discrepancy_histogram(p, campaign_id=campaign),
        }
    return reads


def _submission_checks(fx: Any) -> Callable[[], Any]:
    """The statements a submission reads before it writes (services/intake/submission_sql)."""
    from reconcile.persistence.db import unit_of_work
    from reconcile.services.intake import submission_sql as sql

    def run() -> None:
        with unit_of_work() as uow:
            conn = uow.session.connection()
            conn.execute(sql.CAMPAIGN_FOR_SUBMISSION,
                         {"campaign_id": fx.base.campaign_id, "platform": "youtube"})
            conn.execute(sql.CAMPAIGN_AND_HOLDERS, {
                "affiliate_id": fx.affiliate_ids[0], "campaign_id": fx.base.campaign_id,
                "platform": "youtube", "normalized_url": "https://scale.invalid/youtube/7"})
    return run


def test_no_hot_read_scans_a_big_table_without_an_index(seeded: dict[str, Any]) -> None:
    reads = _reads(seeded["fixtures"])
    reads["submission checks"] = _submission_checks(seeded["fixtures"])
    statements = {name: _recorded(call) for name, call in reads.items()}
    assert all(statements.values()), [n for n, s in statements.items() if not s]

    found = {(name, scan.split(" in: ")[0]): scan for name, sent in statements.items()
             for scan in _whole_table_reads(seeded["url"], sent)}

    assert set(found) == WHOLE_HISTORY, "\n" + "\n".join(
        f"{name}: {scan}" for (name, _), scan in found.items())


def test_the_check_tells_a_read_that_walks_a_whole_index(seeded: dict[str, Any]) -> None:
    """An ORDER BY an indexed column without a LIMIT walks the whole index: reported."""
    from sqlalchemy import select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Report

    def walk(limit: int | None) -> Callable[[], None]:
        def run() -> None:
            with unit_of_work() as uow:
                uow.session.execute(select(Report.id).order_by(Report.id.desc())
                                    .limit(limit)).all()
        return run

    assert _whole_table_reads(seeded["url"], _recorded(walk(None))) != []
    assert _whole_table_reads(seeded["url"], _recorded(walk(50))) == []


def test_the_check_sees_a_query_that_no_index_serves(seeded: dict[str, Any]) -> None:
    """The guard itself: a filter on an unindexed column is reported."""
    from sqlalchemy import select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Report

    def unindexed() -> None:
        with unit_of_work() as uow:
            uow.session.execute(select(Report.id).where(Report.claimed_views == 7)).all()

    found = _whole_table_reads(seeded["url"], _recorded(unindexed))

    assert len(found) == 1 and found[0].startswith("reports in: SELECT")


def test_analytics_from_running_counts_equal_the_post_by_post_fold(
        seeded: dict[str, Any]) -> None:
    """Reading the running counts (migration 0016) changes no figure: the same analytics,
    post by post, from the newest report (no newer one of its post) and newest snapshot of
    every post, as before 0014; the counts themselves were rebuilt after the seed's COPY."""
    from sqlalchemy import func, select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.latest import is_latest_report
    from reconcile.persistence.models import Post, ReconciliationLog, Report, Snapshot, User
    from reconcile.services.principal import Principal
    from reconcile.services.reads import analytics
    from reconcile.vocabulary import Role
    from tests.unit.test_analytics_shares import plain_share

    campaign = seeded["fixtures"].base.campaign_id
    with unit_of_work() as uow:
        admin = uow.session.scalar(select(User.id).where(User.role == Role.ADMIN))
        last = (select(Snapshot.post_id, func.max(Snapshot.id).label("sid"))
                .group_by(Snapshot.post_id).subquery())
        rows = uow.session.execute(
            select(Post.id, Post.platform, Post.affiliate_id, Post.normalized_url, Report.id,
                   Report.claimed_views, Report.claimed_clicks, Report.claimed_conversions,
                   ReconciliationLog.status, Snapshot.views, Snapshot.clicks,
                   Snapshot.conversions, Snapshot.sources)
            .join(Report, Report.post_id == Post.id)
            .join(ReconciliationLog, ReconciliationLog.report_id == Report.id)
            .outerjoin(last, last.c.post_id == Post.id)
            .outerjoin(Snapshot, Snapshot.id == last.c.sid)
            .where(Post.campaign_id == campaign, is_latest_report())).all()
    posts = []
    for r in rows:
        seen = dict(zip(analytics.METRICS, r[9:12], strict=True))
        sources = r[12] or {}
        posts.append({"post_id": r[0], "platform": r[1], "affiliate_id": r[2], "n": 1,
                      "status": r[8], "claimed": dict(zip(analytics.METRICS, r[5:8],
                                                          strict=True)),
                      "seen": seen, "sources": sources,
                      "verified": analytics._verified(seen, sources)})

    view = analytics.campaign_analytics(Principal(admin, Role.ADMIN), campaign)

    assert len(posts) == view["totals"]["posts"] == 2_000
    whole = plain_share(posts)
    assert {k: view["totals"][k] for k in ("claimed", "verified", "funnel",
                                           "verified_by_source")} == {
        k: whole[k] for k in ("claimed", "verified", "funnel", "verified_by_source")}
    assert view["reconciliation"]["by_status"] == whole["by_status"]
    for cut in view["by_platform"]:
        mine = plain_share([p for p in posts if p["platform"] == cut["platform"]])
        assert {k: cut[k] for k in mine} == mine
    for cut in view["by_affiliate"]:
        mine = plain_share([p for p in posts if p["affiliate_id"] == cut["affiliate_id"]])
        assert {k: cut[k] for k in mine} == mine
    newest = sorted(posts, key=lambda p: -p["post_id"])[:analytics.BY_POST]
    assert [(p["post_id"], p["status"], p["verified"]) for p in view["by_post"]] == [
        (p["post_id"], p["status"], p["verified"]) for p in newest]


def _seq_scanned(plan: dict[str, Any]) -> set[str]:
    found = {plan["Relation Name"]} if plan["Node Type"] == "Seq Scan" else set()
    for child in plan.get("Plans", []):
        found |= _seq_scanned(child)
    return found


def test_the_analytics_probe_each_dirty_post_however_many_the_planner_expects(
        seeded: dict[str, Any]) -> None:
    """With the planner's own settings and every post of the campaign marked dirty twice
    (beat behind), the analytics' read still takes each dirty post's state and data by a
    probe: nothing but the marks and the folded rows is read whole. (As plain joins, the
    planner hashed every post's state once it expected a few thousand marks: 30 -> 400 ms
    on the scale bench's database.)"""
    import sqlalchemy as sa

    from reconcile.persistence import tallies

    campaign = seeded["fixtures"].base.campaign_id
    sql = tallies.post_cuts_sql("postgresql").replace(":campaign", "%(campaign)s")
    engine = sa.create_engine(seeded["url"])
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for _ in range(2):
            cursor.execute("INSERT INTO post_tally_dirty (post_id) SELECT id FROM posts "
                           "WHERE campaign_id = %(campaign)s", {"campaign": campaign})
        cursor.execute("ANALYZE post_tally_dirty")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", {"campaign": campaign})
        plan = cursor.fetchone()[0][0]["Plan"]
    finally:
        raw.rollback()
        raw.close()
        engine.dispose()

    assert _seq_scanned(plan) <= {"post_tally_dirty", "post_tallies"}

"""backup, drop everything, restore: the same rows and trust scores come back.

Each test works on a database of its own (never the session's): a fresh PostgreSQL
database when the suite runs against PostgreSQL, a fresh SQLite file otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from reconcile.cli import main
from reconcile.persistence.db import dispose_engines, unit_of_work
from reconcile.persistence.migrate import upgrade
from reconcile.persistence.models import (
    Alert,
    Attempt,
    Base,
    Campaign,
    Client,
    Post,
    ReconciliationLog,
    Report,
    Snapshot,
    TrustLedger,
    User,
)
from tests.conftest import TEST_DB, USES_POSTGRES, _create_postgres_database, unique


@pytest.fixture
def own_db(stack: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A migrated database for this test alone."""
    if USES_POSTGRES:
        url, drop = _create_postgres_database(TEST_DB)
    else:
        url, drop = f"sqlite:///{tmp_path / 'own.sqlite3'}", dispose_engines
    upgrade(url)
    yield url
    drop()


def _populate(url: str) -> None:
    now = datetime.now(UTC)
    with unit_of_work(url) as uow:
        s = uow.session
        client = Client(name=unique("client"))
        s.add(client)
        s.flush()
        campaign = Campaign(client_id=client.id, name="c")
        users = [User(name=f"a{i}", email=f"{unique('a')}@example.com", role="AFFILIATE",
                      api_key_hash=hashlib.sha256(unique().encode()).hexdigest(),
                      api_key_prefix="rk_test", trust_score=score)
                 for i, score in enumerate((0.51, 0.2345, 0.9))]
        s.add_all([campaign, *users])
        s.flush()
        for n, user in enumerate(users):
            post = Post(affiliate_id=user.id, campaign_id=campaign.id, platform="youtube",
                        url=f"https://youtu.be/{n}", normalized_url=f"u{n}", platform_post_id="p")
            s.add(post)
            s.flush()
            report = Report(post_id=post.id, affiliate_id=user.id, claimed_views=100 + n,
                            claimed_clicks=10, claimed_conversions=1, suspicion_flags=[{"f": n}])
            s.add(report)
            s.flush()
            s.add(ReconciliationLog(report_id=report.id, status="MATCHED", metrics={"n": n}))
            attempt = Attempt(report_id=report.id, attempt_number=1, status="MATCHED",
                              confidence_ratio=1.0, rules_version="t", started_at=now)
            s.add(attempt)
            s.flush()
            s.add(Snapshot(attempt_id=attempt.id, report_id=report.id, post_id=post.id,
                           attempt_number=1, views=100, clicks=10, conversions=1))
            s.add(TrustLedger(affiliate_id=user.id, report_id=report.id, event="perfect_match",
                              delta=0.01, score_after=user.trust_score, rules_version="t"))
            s.add(Alert(rule="R2", dedupe_key=f"{report.id}:R2", type="HIGH_DISCREPANCY",
                        category="DATA_QUALITY", severity="HIGH", title="t", message="m",
                        report_id=report.id, affiliate_id=user.id, deliveries=[{"n": n}]))


def _state(url: str) -> tuple[dict[str, int], list[tuple[str, float]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            counts = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                      for t in Base.metadata.sorted_tables}
            scores = [(r.email, r.trust_score) for r in conn.execute(
                sa.select(User.email, User.trust_score).order_by(User.email))]
    finally:
        engine.dispose()
    return counts, scores


def _drop_everything(url: str) -> None:
    dispose_engines()
    if USES_POSTGRES:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    else:
        path = Path(sa.engine.make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _cli(url: str, *argv: str) -> Any:
    return CliRunner(env={"DATABASE_URL": url}).invoke(main, list(argv))


def test_a_restored_backup_has_the_same_rows_and_trust_scores(
    own_db: str, tmp_path: Path
) -> None:
    _populate(own_db)
    before = _state(own_db)
    backup = tmp_path / "reconcile.backup"

    made = _cli(own_db, "backup", str(backup))
    assert made.exit_code == 0, made.output
    _drop_everything(own_db)
    with pytest.raises(sa.exc.DBAPIError):
        _query_users(own_db)  # really gone
    restored = _cli(own_db, "restore", str(backup))

    assert restored.exit_code == 0, restored.output
    after = _state(own_db)
    # The restored database gains one row: its audit trail records the restore itself.
    assert after[0].pop("audit_events") == before[0].pop("audit_events") + 1
    assert after == before
    assert _last_audit_action(own_db) == ("cli", "database.restored")
    assert before[0]["reports"] == 3 and before[0]["trust_ledger"] == 3
    assert sorted(score for _, score in before[1]) == [0.2345, 0.51, 0.9]


def _last_audit_action(url: str) -> tuple[str, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT actor, action FROM audit_events ORDER BY id DESC LIMIT 1").one()
    finally:
        engine.dispose()
    return row.actor, row.action


def _query_users(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM users").scalar_one()
    finally:
        engine.dispose()


def test_restore_refuses_a_database_holding_data_unless_forced(
    own_db: str, tmp_path: Path
) -> None:
    _populate(own_db)
    backup = tmp_path / "reconcile.backup"
    assert _cli(own_db, "backup", str(backup)).exit_code == 0
    _populate(own_db)  # rows the backup does not have
    grown = _state(own_db)

    refused = _cli(own_db, "restore", str(backup))
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        "Error: the database already holds data; pass --force to replace it"]
    assert _state(own_db) == grown

    forced = _cli(own_db, "restore", str(backup), "--force")
    assert forced.exit_code == 0, forced.output
    assert _state(own_db)[0]["reports"] == 3


def test_a_file_that_is_not_a_backup_is_refused_in_one_line(
    own_db: str, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"PGDMP but not really" if not USES_POSTGRES else b"SQLite format 3\x00..")

    result = _cli(own_db, "restore", str(junk))

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not a" in result.stderr

"""Migration 0010 carries existing data: numbers kept, labelled with the source they had."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

OLD_RESULT = {"views": {"claimed": 1000, "observed": 1000, "difference": 0, "pct": 0.0},
              "clicks": {"claimed": 50, "observed": 48, "difference": 2, "pct": 0.0},
              "conversions": {"claimed": 5, "observed": 5, "difference": 0, "pct": 0.0}}
# post id -> platform; each post has one report, attempt and snapshot with the same id
POSTS = {1: "youtube", 2: "x", 3: "instagram", 4: "tiktok"}


def _seed(conn: Any) -> None:
    run = conn.exec_driver_sql
    run("INSERT INTO clients (id, name, created_at) VALUES (1, 'c', '2026-01-01')")
    run("INSERT INTO users (id, name, email, role, api_key_hash, api_key_prefix, "
        "trust_score, is_active, created_at) VALUES (1, 'a', 'a@x', 'AFFILIATE', 'h', 'p', "
        "0.5, true, '2026-01-01')")
    run("INSERT INTO campaigns (id, client_id, name, status, created_at) "
        "VALUES (1, 1, 'c', 'ACTIVE', '2026-01-01')")
    metrics = json.dumps(OLD_RESULT)
    for post, platform in POSTS.items():
        run(f"INSERT INTO posts (id, affiliate_id, campaign_id, platform, url, normalized_url, "
            f"platform_post_id, created_at) VALUES ({post}, 1, 1, '{platform}', 'u{post}', "
            f"'u{post}', 'p{post}', '2026-01-01')")
        run(f"INSERT INTO reports (id, post_id, affiliate_id, claimed_views, claimed_clicks, "
            f"claimed_conversions, suspicion_flags, priority, submitted_at) VALUES ({post}, "
            f"{post}, 1, 1000, 50, 5, '[]', 'normal', '2026-01-01')")
        run(f"INSERT INTO reconciliation_logs (id, report_id, status, attempt_count, "
            f"is_terminal, missing_fields, metrics, updated_at, failures) VALUES ({post}, "
            f"{post}, 'MATCHED', 1, true, '[]', '{metrics}', '2026-01-01', 0)")
        run(f"INSERT INTO attempts (id, report_id, attempt_number, status, confidence_ratio, "
            f"metrics, rules_version, trigger, started_at, finished_at, duration_ms) VALUES "
            f"({post}, {post}, 1, 'MATCHED', 1.0, '{metrics}', 'v1', 'submission', "
            f"'2026-01-01', '2026-01-01', 1.0)")
        run(f"INSERT INTO snapshots (id, attempt_id, report_id, post_id, attempt_number, "
            f"views, clicks, conversions, fetched_at) VALUES ({post}, {post}, {post}, {post}, 1, "
            f"1000, 48, 5, '2026-01-01')")


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_migration_0010_keeps_every_number_and_says_where_it_came_from(
    stack: dict[str, str], tmp_path: Any
) -> None:
    from alembic import command

    from reconcile.persistence.migrate import alembic_config
    from tests.conftest import TEST_DB, USES_POSTGRES, _create_postgres_database
    from tests.integration.test_migrations import _differences

    url, drop = (_create_postgres_database(TEST_DB) if USES_POSTGRES
                 else (f"sqlite:///{tmp_path / 'sources.sqlite3'}", lambda: None))
    try:
        command.upgrade(alembic_config(url), "0008")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            _seed(conn)
        engine.dispose()

        command.upgrade(alembic_config(url), "head")

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            campaign = conn.exec_driver_sql(
                "SELECT clicks_source, conversions_source, required_tags, "
                "require_verified_handle FROM campaigns").one()
            snapshots = {r[0]: r[1:] for r in conn.exec_driver_sql(
                "SELECT post_id, views, clicks, conversions, likes, comments, shares, "
                "link_clicks, sources FROM snapshots")}
            attempts = {r[0]: _loaded(r[1]) for r in conn.exec_driver_sql(
                "SELECT report_id, metrics FROM attempts")}
            logs = {r[0]: _loaded(r[1]) for r in conn.exec_driver_sql(
                "SELECT report_id, metrics FROM reconciliation_logs")}
        engine.dispose()

        # Nothing measured the old campaigns' clicks or conversions: they say so.
        assert (campaign[0], campaign[1], _loaded(campaign[2]), bool(campaign[3])) == (
            "none", "none", [], False)
        # Every number is kept where it was; the engagement it really was is copied over.
        expected = {  # views, clicks, conversions, likes, comments, shares, link_clicks
            1: (1000, 48, 5, 48, 5, None, None),      # youtube: likeCount / commentCount
            2: (1000, 48, 5, None, None, None, 48),   # x: url_link_clicks / profile clicks
            3: (1000, 48, 5, None, None, None, None),  # instagram: profile visits / follows
            4: (1000, 48, 5, 48, None, 5, None),      # tiktok: like_count / share_count
        }
        assert {post: tuple(row[:7]) for post, row in snapshots.items()} == expected
        legacy = {"views": "platform", "clicks": "legacy_engagement",
                  "conversions": "legacy_engagement"}
        assert {post: _loaded(row[7]) for post, row in snapshots.items()} == {
            1: legacy, 2: {**legacy, "clicks": "platform"}, 3: legacy, 4: legacy}
        for stored in (attempts, logs):
            assert stored[2]["clicks"] == {**OLD_RESULT["clicks"], "source": "platform",
                                           "verifiable": True}
            assert stored[1]["clicks"]["source"] == "legacy_engagement"
            assert stored[1]["views"] == {**OLD_RESULT["views"], "source": "platform",
                                          "verifiable": True}
            assert stored[3]["conversions"]["source"] == "legacy_engagement"
        assert _differences(url) == []

        # And back: the labels go, the numbers stay.
        command.downgrade(alembic_config(url), "0008")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            kept = conn.exec_driver_sql(
                "SELECT views, clicks, conversions FROM snapshots WHERE post_id = 1").one()
            old = _loaded(conn.exec_driver_sql(
                "SELECT metrics FROM attempts WHERE report_id = 1").scalar_one())
        engine.dispose()
        assert tuple(kept) == (1000, 48, 5) and old == OLD_RESULT
    finally:
        from reconcile.persistence.db import dispose_engines

        dispose_engines()
        drop()

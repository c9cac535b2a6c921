"""`reconcile rules simulate` re-classifies stored attempts under candidate rules, read-only."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select

from reconcile.cli import main
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Attempt, Base, Post, Report, Snapshot, User
from tests.conftest import unique_video_id

# Claimed vs observed views (clicks and conversions match): 7 % over is inside a 0.08
# tolerance but outside the default 0.05; 0 % and 15 % classify the same under both.
SAMPLE = [(1000, 1000), (1070, 1000), (1070, 1000), (1150, 1000)]


def _store(world: Any, submitted: datetime) -> list[int]:
    """Store attempts with snapshots, dated in a future nobody else uses."""
    affiliate_id = world.new_affiliate()["id"]
    with unit_of_work() as uow:
        s = uow.session
        for n, (claimed, observed) in enumerate(SAMPLE):
            vid = unique_video_id()
            post = Post(affiliate_id=affiliate_id, campaign_id=world.campaign_id,
                        platform="youtube", url=f"https://youtu.be/{vid}",
                        normalized_url=f"https://www.youtube.com/watch?v={vid}",
                        platform_post_id=vid)
            s.add(post)
            s.flush()
            at = submitted + timedelta(minutes=n)
            report = Report(post_id=post.id, affiliate_id=affiliate_id, claimed_views=claimed,
                            claimed_clicks=50, claimed_conversions=5, submitted_at=at)
            s.add(report)
            s.flush()
            attempt = Attempt(report_id=report.id, attempt_number=1, status="MATCHED",
                              confidence_ratio=1.0, rules_version="t", started_at=at)
            s.add(attempt)
            s.flush()
            s.add(Snapshot(attempt_id=attempt.id, report_id=report.id, post_id=post.id,
                           attempt_number=1, views=observed, clicks=50, conversions=5,
                           fetched_at=at + timedelta(hours=1)))
    return [affiliate_id]


def _far_future() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=random.randint(400, 40000))


def _state() -> tuple[dict[str, int], list[tuple[int, float]]]:
    with unit_of_work() as uow:
        counts = {t.name: int(uow.session.scalar(select(func.count()).select_from(t)) or 0)
                  for t in Base.metadata.sorted_tables}
        scores = [tuple(r) for r in uow.session.execute(
            select(User.id, User.trust_score).order_by(User.id))]
    return counts, scores  # type: ignore[return-value]


def _simulate(tmp_path: Path, since: datetime, toml: str, *extra: str) -> Any:
    rules = tmp_path / "candidate.toml"
    rules.write_text(toml)
    return CliRunner().invoke(main, ["rules", "simulate", str(rules), "--sample",
                                     str(len(SAMPLE)), "--since", since.strftime("%Y-%m-%d"),
                                     *extra])


def test_raising_base_tolerance_moves_small_discrepancies_to_matched_and_writes_nothing(
    world: Any, tmp_path: Path
) -> None:
    submitted = _far_future()
    _store(world, submitted)
    before = _state()

    result = _simulate(tmp_path, submitted, "[classification]\nbase_tolerance_pct = 0.08\n",
                       "--json")

    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["sample"] == len(SAMPLE)
    assert out["current"]["statuses"] == {"DISCREPANCY_LOW": 2, "DISCREPANCY_MEDIUM": 1,
                                          "MATCHED": 1}
    assert out["candidate"]["statuses"] == {"DISCREPANCY_MEDIUM": 1, "MATCHED": 3}
    assert out["changed"] == 2
    assert out["transitions"] == [{"from": "DISCREPANCY_LOW", "to": "MATCHED", "count": 2}]
    # A new affiliate is in the normal bucket: +0.01 - 2 x 0.01 - 0.03 now; 3 x 0.01 - 0.03.
    assert out["current"]["trust_by_bucket"]["normal"] == {"affiliates": 1, "delta": -0.04}
    assert out["candidate"]["trust_by_bucket"]["normal"] == {"affiliates": 1, "delta": 0.0}
    assert _state() == before


def test_the_table_view_shows_both_rule_sets_side_by_side(world: Any, tmp_path: Path) -> None:
    submitted = _far_future()
    _store(world, submitted)

    result = _simulate(tmp_path, submitted, "[classification]\nbase_tolerance_pct = 0.08\n")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "4 attempt(s) re-classified; 2 change status"
    low = next(line.split() for line in lines if line.startswith("DISCREPANCY_LOW"))
    assert low[1:] == ["2", "0", "-2"]
    assert any(line.split()[:2] == ["normal", "1"] for line in lines)
    assert "DISCREPANCY_LOW -> MATCHED: 2" in result.stdout


def test_candidate_rules_that_do_not_validate_are_refused_in_one_line(tmp_path: Path) -> None:
    result = _simulate(tmp_path, datetime.now(UTC),
                       "[classification]\nbase_tolerance_pct = 0.5\n")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "classification" in result.stderr


def _store_engagement(world: Any, fetched: datetime, likes: list[int]) -> None:
    """Readings of 20,000 views each with these likes (and no comments)."""
    affiliate_id = world.new_affiliate()["id"]
    with unit_of_work() as uow:
        s = uow.session
        for n, liked in enumerate(likes):
            vid = unique_video_id()
            post = Post(affiliate_id=affiliate_id, campaign_id=world.campaign_id,
                        platform="youtube", url=f"https://youtu.be/{vid}",
                        normalized_url=f"https://www.youtube.com/watch?v={vid}",
                        platform_post_id=vid)
            s.add(post)
            s.flush()
            report = Report(post_id=post.id, affiliate_id=affiliate_id, claimed_views=20_000,
                            claimed_clicks=0, claimed_conversions=0, submitted_at=fetched)
            s.add(report)
            s.flush()
            attempt = Attempt(report_id=report.id, attempt_number=1, status="MATCHED",
                              confidence_ratio=1.0, rules_version="t", started_at=fetched)
            s.add(attempt)
            s.flush()
            s.add(Snapshot(attempt_id=attempt.id, report_id=report.id, post_id=post.id,
                           attempt_number=1, views=20_000, likes=liked, comments=0,
                           published_at=fetched - timedelta(days=3),
                           fetched_at=fetched + timedelta(minutes=n)))


def test_the_anomaly_rules_are_counted_under_both_thresholds(world: Any,
                                                             tmp_path: Path) -> None:
    fetched = _far_future()
    # 0.0015, 0.0025 and 0.01 likes per view: one below the default 0.002, two below 0.003.
    _store_engagement(world, fetched, [30, 50, 200])
    before = _state()

    rules = tmp_path / "candidate.toml"
    rules.write_text("[anomaly]\nmin_engagement_rate = 0.003\n")
    result = CliRunner().invoke(main, ["rules", "simulate", str(rules), "--sample", "3",
                                       "--since", fetched.strftime("%Y-%m-%d"), "--json"])

    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)["anomalies"]
    assert out == {"readings": 3,
                   "current": {"velocity": 0, "engagement": 1, "click_rate": 0},
                   "candidate": {"velocity": 0, "engagement": 2, "click_rate": 0}}
    table = CliRunner().invoke(main, ["rules", "simulate", str(rules), "--sample", "3",
                                      "--since", fetched.strftime("%Y-%m-%d")])
    assert next(line.split() for line in table.stdout.splitlines()
                if line.startswith("engagement")) == ["engagement", "1", "2", "+1"]
    assert _state() == before

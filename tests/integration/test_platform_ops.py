"""Operating the platforms: breaker states over HTTP and the CLI, switching a platform off
and on, and the platform outage alert (R5)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.cli import main
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert
from reconcile.platforms import breaker
from reconcile.platforms.fetching import fetch_truth
from reconcile.services.admin.platforms import set_platform_active
from reconcile.vocabulary import PLATFORMS
from tests.conftest import unique_video_id, wait_for
from tests.integration.pools import (
    Pool,
    attempts_of,
    isolated,
    logs_of,
    own_redis_client,
    submit_reports,
)


@pytest.fixture(scope="module")
def pool(stack: Any, simulator: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    with isolated(tmp_path_factory.mktemp("platform-ops"), workers=2) as own:
        yield own


@pytest.fixture
def tripped(pool: Pool) -> Iterator[breaker.Snapshot]:
    """The youtube breaker, opened by real failed calls."""
    breaker.reset("youtube")
    pool.fault("youtube", "error")
    try:
        wait_for(lambda: fetch_truth("youtube", unique_video_id()).missing_reason
                 == "circuit_open", 30, 0, what="the breaker to open")
        yield breaker.snapshot("youtube")
    finally:
        pool.fault("youtube", "none")
        breaker.reset("youtube")


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_ops_breakers_shows_every_platform_and_the_open_one(
    client: Any, world: Any, tripped: breaker.Snapshot, role: str,
) -> None:
    response = client.get("/api/v1/ops/breakers", headers=world.auth(getattr(world, role)))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == set(PLATFORMS)
    youtube = body["youtube"]
    assert (youtube["state"], youtube["fail_counter"]) == ("open", active_rules().breaker.fail_max)
    assert datetime.fromisoformat(youtube["opened_at"]) == tripped.opened_at
    assert 0 <= youtube["seconds_until_half_open"] <= active_rules().breaker.reset_timeout_seconds
    assert body["x"] == {"state": "closed", "fail_counter": 0, "opened_at": None,
                         "down_since": None, "seconds_until_half_open": None}


@pytest.mark.parametrize("role", ["affiliate", "advertiser"])
def test_ops_breakers_is_refused_to_other_roles(client: Any, world: Any, role: str) -> None:
    response = client.get("/api/v1/ops/breakers", headers=world.auth(getattr(world, role)))
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_platforms_list_carries_each_breaker_state(
    client: Any, world: Any, tripped: breaker.Snapshot,
) -> None:
    items = client.get("/api/v1/platforms", headers=world.auth(world.affiliate)).get_json()
    states = {p["name"]: p["breaker_state"] for p in items["items"]}
    assert states == {p: "open" if p == "youtube" else "closed" for p in PLATFORMS}


def test_the_breakers_command_prints_a_table_or_json(tripped: breaker.Snapshot) -> None:
    table = _run("breakers")
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split()[:3] == ["platform", "state", "fail_counter"]
    assert any(line.split()[:2] == ["youtube", "open"] for line in table.output.splitlines())
    as_json = _run("breakers", "--json")
    assert json.loads(as_json.output)["youtube"]["state"] == "open"


@pytest.mark.parametrize("action", ["enable", "disable"])
def test_switching_an_unknown_platform_fails_with_one_line(action: str) -> None:
    result = _run("platforms", action, "myspace")
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == ["Error: no such platform"]


def test_a_disabled_platform_holds_reports_without_attempts_until_it_is_enabled(
    pool: Pool, world: Any,
) -> None:
    try:
        pool.pause()
        try:
            ids = submit_reports(world, 3)
            assert _run("platforms", "disable", "youtube").output == "youtube: disabled\n"
        finally:
            pool.resume()

        def waiting() -> bool:
            logs = logs_of(ids).values()
            return all(log.missing_reason == "platform_disabled" for log in logs)

        wait_for(waiting, 30, 0.1, what="the reports to wait for the platform")
        logs = logs_of(ids).values()
        assert {(log.status, log.attempt_count) for log in logs} == {("PENDING", 0)}
        assert all(log.scheduled_retry_at is not None for log in logs)
        assert attempts_of(ids) == dict.fromkeys(ids, 0)
        assert _run("platforms", "enable", "youtube").output == "youtube: enabled\n"
        # Well before the periodic re-check of a disabled platform would come round.
        wait_for(lambda: {log.status for log in logs_of(ids).values()} == {"MATCHED"}, 30,
                 0.1, what="the reports to reconcile once enabled")
        assert attempts_of(ids) == dict.fromkeys(ids, 1)
    finally:
        set_platform_active("youtube", True)


@pytest.mark.parametrize(
    ("down_minutes", "alerted"),
    [(active_rules().alerts.platform_down_escalation_minutes + 1, True),
     (active_rules().alerts.platform_down_escalation_minutes - 1, False)],
)
def test_a_platform_down_longer_than_the_escalation_limit_raises_one_outage_alert(
    pool: Pool, tripped: breaker.Snapshot, down_minutes: int, alerted: bool,
) -> None:
    from tasks.platforms import check_outages

    since = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=down_minutes)
    own_redis_client(pool).set("reconcile:breaker:youtube:down", int(since.timestamp()))
    assert check_outages() == (["youtube"] if alerted else [])
    assert check_outages() == []  # once per outage
    with unit_of_work() as uow:
        alerts = uow.session.scalars(
            select(Alert).where(Alert.dedupe_key == f"R5:youtube:{since.isoformat()}")
        ).all()
        found = [(a.type, a.category, a.severity, a.report_id, a.platform) for a in alerts]
    expected = [("PLATFORM_OUTAGE", "SYSTEM_HEALTH", "HIGH", None, "youtube")]
    assert found == (expected if alerted else [])

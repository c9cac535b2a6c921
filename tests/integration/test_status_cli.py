"""`reconcile status` and `reconcile slo`: what an operator prints during an incident."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select

from reconcile.cli import main
from reconcile.locks import redis_client
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert
from reconcile.rules import AlertSpec
from reconcile.services.alerts.raising import raise_alert
from reconcile.vocabulary import PLATFORMS, QUEUES
from tests.conftest import unique
from tests.integration.flows import post_url, submit_claim

CRITICAL = AlertSpec("R1", "AFFILIATE_OVERCLAIMED", "FRAUD_RISK", "CRITICAL", "Overclaim",
                     "claimed far more than seen", {"metric": "views"})


def _run(*argv: str) -> Any:
    return CliRunner().invoke(main, list(argv))


def _open_alerts_by_severity() -> dict[str, int]:
    with unit_of_work() as uow:
        rows = uow.session.execute(select(Alert.severity, func.count())
                                   .where(Alert.status == "OPEN").group_by(Alert.severity))
        return {str(k): int(n) for k, n in rows}


def test_status_prints_queues_statuses_breakers_and_open_alerts(
    world: Any, dispatched: Any
) -> None:
    submit_claim(world, world.new_affiliate(), "youtube", post_url("youtube"), (10, 1, 0))
    with unit_of_work() as uow:
        raise_alert(uow.session, CRITICAL, report_id=None, affiliate_id=world.affiliate["id"],
                    platform="youtube", dedupe_key=unique("status-cli"))

    result = _run("status")

    assert result.exit_code == 0, result.output
    snap = json.loads(result.stdout)
    assert snap["queue_depths"] == {q: int(redis_client().llen(q)) for q in QUEUES}
    assert set(snap["breakers"]) == set(PLATFORMS)
    assert set(snap["breakers"].values()) <= {"closed", "open", "half-open"}
    assert snap["status_distribution_24h"].get("PENDING", 0) >= 1
    assert snap["open_alerts_by_severity"] == _open_alerts_by_severity()
    assert snap["open_alerts_by_severity"]["CRITICAL"] >= 1


def test_slo_prints_the_five_signals_with_value_target_and_ok(stack: Any) -> None:
    result = _run("slo")

    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)
    assert len(table) == 5
    for name, row in table.items():
        assert set(row) == {"value", "target", "ok"}, name


def test_an_unknown_option_is_one_line_and_a_non_zero_exit(stack: Any) -> None:
    result = _run("status", "--bogus")

    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("Error:")

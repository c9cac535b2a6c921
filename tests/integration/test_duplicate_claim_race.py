"""Two affiliates submitting the same URL at the same instant: the later of the two is
always flagged `duplicate_claim` with an R6 alert (domain.md, rule R6).

On PostgreSQL the two transactions really overlap; the holders check must be serialised on
the normalised URL or both can miss each other. (SQLite serialises writers anyway.)
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, Report
from reconcile.services.intake.submissions import Claim, submit
from reconcile.services.principal import Principal
from tests.conftest import requires_postgres, unique_post_url

PAIRS = 60


def _race(world: Any, url: str, affiliates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    start = threading.Barrier(len(affiliates))

    def one(affiliate: dict[str, Any]) -> dict[str, Any]:
        start.wait()
        return submit(Principal(affiliate["id"], "AFFILIATE"), campaign_id=world.campaign_id,
                      platform="youtube", url=url, claim=Claim(100, 10, 1))

    with ThreadPoolExecutor(len(affiliates)) as pool:
        return list(pool.map(one, affiliates))


def test_pairs_racing_for_one_url_never_both_miss_the_duplicate_claim(
    world: Any, dispatched: Any
) -> None:
    requires_postgres()
    missed = []
    for _ in range(PAIRS):
        pair = [world.new_affiliate(), world.new_affiliate()]
        answers = _race(world, unique_post_url("youtube"), pair)
        flagged = [a for a in answers
                   if any(f["name"] == "duplicate_claim" for f in a["suspicion_flags"])]
        if len(flagged) != 1:
            missed.append(answers)
            continue
        with unit_of_work() as uow:
            rules = uow.session.scalars(select(Alert.rule).where(
                Alert.report_id == flagged[0]["report_id"])).all()
            assert "R6" in rules
            assert uow.session.get(Report, flagged[0]["report_id"]).priority == "high"

    assert missed == [], f"{len(missed)} of {PAIRS} pairs missed R6"

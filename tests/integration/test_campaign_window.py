"""A campaign not taking claims refuses new posts and new metrics alike (422
CAMPAIGN_INACTIVE), and stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign
from tests.integration.apihelp import post_url, row_counts

METRICS = {"claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 0}
TODAY = datetime.now(UTC).date()

CLOSED = [
    ("paused", {"status": "PAUSED"}),
    ("not started", {"start_date": TODAY + timedelta(days=2)}),
    ("ended", {"end_date": TODAY - timedelta(days=2)}),
]


def _close(campaign_id: int, values: dict[str, Any]) -> None:
    with unit_of_work() as uow:
        uow.session.execute(update(Campaign).where(Campaign.id == campaign_id).values(**values))


@pytest.mark.parametrize(("case", "values"), CLOSED, ids=[c[0] for c in CLOSED])
def test_new_metrics_for_a_post_are_refused_once_its_campaign_takes_no_claims(
    client: Any, world: Any, dispatched: Any, case: str, values: dict[str, Any]
) -> None:
    first = client.post("/api/v1/submissions", headers=world.auth(world.affiliate),
                        json={"campaign_id": world.campaign_id, "platform": "youtube",
                              "url": post_url(), **METRICS})
    assert first.status_code == 202
    _close(world.campaign_id, values)
    before = row_counts()

    resp = client.put(f"/api/v1/submissions/{first.get_json()['post_id']}/metrics",
                      json=METRICS, headers=world.auth(world.affiliate))

    assert (resp.status_code, resp.get_json()["code"]) == (422, "CAMPAIGN_INACTIVE")
    assert row_counts() == before


@pytest.mark.parametrize(("case", "values"), CLOSED, ids=[c[0] for c in CLOSED])
def test_a_new_post_is_refused_while_its_campaign_takes_no_claims(
    client: Any, world: Any, dispatched: Any, case: str, values: dict[str, Any]
) -> None:
    _close(world.campaign_id, values)
    before = row_counts()

    resp = client.post("/api/v1/submissions", headers=world.auth(world.affiliate),
                       json={"campaign_id": world.campaign_id, "platform": "youtube",
                             "url": post_url(), **METRICS})

    assert (resp.status_code, resp.get_json()["code"]) == (422, "CAMPAIGN_INACTIVE")
    assert row_counts() == before
    assert dispatched.sent == []


def test_a_campaign_takes_claims_on_its_first_and_last_day(
    client: Any, world: Any, dispatched: Any
) -> None:
    _close(world.campaign_id, {"start_date": TODAY, "end_date": TODAY})

    resp = client.post("/api/v1/submissions", headers=world.auth(world.affiliate),
                       json={"campaign_id": world.campaign_id, "platform": "youtube",
                             "url": post_url(), **METRICS})

    assert resp.status_code == 202

"""Alert delivery state lives in PostgreSQL: Redis losing its data (or refusing a write)
never loses a folded alert's digest, nor resets the storm cap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconcile.bootstrap import active_rules
from reconcile.locks import redis_client
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert
from reconcile.services.alerts.deliver import deliver, window_end
from reconcile.services.alerts.digest import flush_digests
from tests.conftest import unique
from tests.integration.receiver import Receiver, webhook_receiver


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with webhook_receiver() as receiver:
        monkeypatch.setenv("ALERT_WEBHOOK_URLS", f"{receiver.url}/a")
        yield receiver


def _forget_redis_alert_state() -> None:
    """What a Redis restart without persistence does to everything alerts ever kept there."""
    client = redis_client()
    for key in client.scan_iter("reconcile:alerts:*"):
        client.delete(key)


def _storm(affiliate_id: int, n: int) -> tuple[list[int], datetime]:
    rules = active_rules().alerts
    end = window_end(datetime.now(UTC) - timedelta(hours=3), rules.delivery_window_minutes)
    created = end - timedelta(minutes=rules.delivery_window_minutes / 2)
    ids = []
    with unit_of_work() as uow:
        for _ in range(n):
            alert = Alert(rule="R2", dedupe_key=unique("storm"), type="HIGH_DISCREPANCY",
                          category="DATA_QUALITY", severity="HIGH", title="t", message="m",
                          affiliate_id=affiliate_id, platform="x", created_at=created)
            uow.session.add(alert)
            uow.session.flush()
            ids.append(alert.id)
    return ids, end


def _digested(hooks: Receiver, alert_id: int) -> bool:
    return any(alert_id in g["alert_ids"] for r in hooks.of_kind("digest")
               for g in r.payload["digest"]["groups"])


def test_a_folded_alert_s_digest_goes_out_though_redis_lost_everything(
    world: Any, dispatched: Any, hooks: Receiver
) -> None:
    cap = active_rules().alerts.max_deliveries_per_window
    ids, end = _storm(world.new_affiliate()["id"], cap + 1)
    assert [deliver(i).outcome for i in ids][-1] == "folded"

    _forget_redis_alert_state()
    flush_digests(now=end + timedelta(seconds=1))

    assert _digested(hooks, ids[-1])
    with unit_of_work() as uow:
        assert uow.session.get(Alert, ids[-1]).digest_due_at is None  # sent: no longer waits


def test_the_storm_cap_holds_across_a_redis_restart(
    world: Any, dispatched: Any, hooks: Receiver
) -> None:
    cap = active_rules().alerts.max_deliveries_per_window
    ids, end = _storm(world.new_affiliate()["id"], cap + 2)

    first = [deliver(i).outcome for i in ids[:cap]]
    _forget_redis_alert_state()
    rest = [deliver(i).outcome for i in ids[cap:]]

    assert first + rest == ["delivered"] * cap + ["folded"] * 2
    flush_digests(now=end + timedelta(seconds=1))  # leave no digest waiting for other tests
    assert _digested(hooks, ids[-1])

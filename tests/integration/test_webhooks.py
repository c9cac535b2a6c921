"""Alerts reach the webhooks: signed, once per webhook, retried on 5xx, storm-capped.

The session's worker pool was started without ALERT_WEBHOOK_URLS, and the environment of a
running process cannot change. So the end-to-end test starts its own worker with the
webhook settings and, for its duration, tells the session's workers to stop consuming (a
Celery control command), so that only the configured worker can take the delivery. The
storm cap, digests, resends and the daily summary are tested by calling the services in
this process, with the settings set here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, TrustLedger
from reconcile.rules import AlertSpec
from reconcile.services.alerts.deliver import deliver, window_end
from reconcile.services.alerts.digest import flush_digests, resend_undelivered
from reconcile.services.alerts.raising import raise_alert
from reconcile.services.alerts.risk_summary import risk_summary, send_risk_summary
from reconcile.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.conftest import unique, wait_for
from tests.integration.conftest import start_worker
from tests.integration.obs import consumers_paused
from tests.integration.receiver import Receiver, webhook_receiver

SECRET = "test-webhook-secret-" + "x" * 12
SPEC = AlertSpec("R2", "HIGH_DISCREPANCY", "DATA_QUALITY", "HIGH", "High discrepancy",
                 "views off by 40%", {"metric": "views"})


def _raise(affiliate_id: int | None, spec: AlertSpec = SPEC, platform: str = "youtube") -> int:
    with unit_of_work() as uow:
        alert = raise_alert(uow.session, spec, report_id=None, affiliate_id=affiliate_id,
                            platform=platform, dedupe_key=unique("hook"))
        assert alert is not None
        return alert.id


def _deliveries(alert_id: int) -> list[dict[str, Any]]:
    with unit_of_work() as uow:
        return list(uow.session.get(Alert, alert_id).deliveries or [])


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with webhook_receiver() as receiver:
        monkeypatch.setenv("ALERT_WEBHOOK_URLS", f"{receiver.url}/a,{receiver.url}/b")
        monkeypatch.setenv("ALERT_WEBHOOK_SECRET", SECRET)
        yield receiver


def test_an_alert_dispatches_its_delivery_only_once_its_transaction_commits(
    world: Any, dispatched: Any, hooks: Receiver
) -> None:
    alert_id = _raise(world.affiliate["id"])
    assert dispatched.alerts == [alert_id]

    with pytest.raises(RuntimeError), unit_of_work() as uow:
        raise_alert(uow.session, SPEC, report_id=None, affiliate_id=world.affiliate["id"],
                    platform="youtube", dedupe_key=unique("rolled-back"))
        raise RuntimeError("the cause fails after the alert was added")
    assert dispatched.alerts == [alert_id]


def _raise_together(affiliate_id: int, n: int) -> list[int]:
    with unit_of_work() as uow:
        alerts = [raise_alert(uow.session, SPEC, report_id=None, affiliate_id=affiliate_id,
                              platform="youtube", dedupe_key=unique("together"))
                  for _ in range(n)]
    return [a.id for a in alerts if a is not None]


def test_the_alerts_one_transaction_raises_go_out_in_one_job(
    world: Any, dispatched: Any, hooks: Receiver
) -> None:
    """An attempt batch raises several alerts: a job each cost the workers a task each."""
    together = _raise_together(world.affiliate["id"], 3)
    alone = _raise(world.affiliate["id"])

    assert len(together) == 3
    assert dispatched.alert_jobs == [(together, {"batch": True}), ([alone], {})]


def test_a_batch_delivers_each_alert_once_per_webhook_and_hands_a_failing_one_on(
    world: Any, dispatched: Any, hooks: Receiver
) -> None:
    from tasks.alerts import deliver_alert, deliver_alerts

    first, second = _raise_together(world.affiliate["id"], 2)
    dispatched.alert_jobs.clear()
    hooks.script["/b"] = [503]  # the batch's first POST to /b: the first alert's

    deliver_alerts.apply(args=[[first, second]])

    assert [len(hooks.for_alert(a, "/a")) for a in (first, second)] == [1, 1]
    assert [r.status for r in hooks.for_alert(first, "/b")] == [503]
    assert [r.status for r in hooks.for_alert(second, "/b")] == [200]
    # The first alert goes on alone, as its second try, after the first backoff.
    assert dispatched.alert_jobs == [([first], {"countdown": 2.0, "retries": 1})]

    deliver_alert.apply(args=[first], retries=1)

    assert [r.status for r in hooks.for_alert(first, "/b")] == [503, 200]
    assert sorted(d["attempts"] for d in _deliveries(first)) == [1, 2]
    assert all(d["status"] == "delivered" for a in (first, second) for d in _deliveries(a))


def test_an_alert_a_batch_hands_on_still_gets_five_tries_in_all(
    world: Any, dispatched: Any, hooks: Receiver
) -> None:
    from tasks.alerts import MAX_TRIES, deliver_alert, deliver_alerts

    hooks.script["/b"] = [503] * 10
    (alert_id,) = _raise_together(world.affiliate["id"], 1)

    deliver_alerts.apply(args=[[alert_id]])
    (handed,) = [opts for ids, opts in dispatched.alert_jobs if opts.get("retries")]
    deliver_alert.apply(args=[alert_id], retries=handed["retries"])

    assert len(hooks.for_alert(alert_id, "/b")) == MAX_TRIES
    (failed,) = [d for d in _deliveries(alert_id) if d["status"] == "failed"]
    assert failed["attempts"] == MAX_TRIES and failed["retrying"] is False


def test_a_batch_out_of_time_hands_the_rest_on_in_one_job(
    world: Any, dispatched: Any, hooks: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow webhooks must not run a batch into the task's time limit."""
    import tasks.alerts

    monkeypatch.setattr(tasks.alerts, "BATCH_SECONDS", 0.0)
    ids = _raise_together(world.affiliate["id"], 3)
    dispatched.alert_jobs.clear()

    assert tasks.alerts.deliver_alerts.apply(args=[ids]).get() == {"delivered": 1,
                                                                   "handed_on": 2}
    assert len(hooks.for_alert(ids[0])) == 2 and hooks.for_alert(ids[1]) == []
    assert dispatched.alert_jobs == [(ids[1:], {"batch": True})]


@pytest.fixture
def only_a_configured_worker(stack: dict[str, str], tmp_path: Any,
                             monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A worker that knows the webhooks, the only one consuming while the test runs; the
    test's process, which raises the alerts, knows them too (as the API does)."""
    with webhook_receiver() as receiver:
        env = {"ALERT_WEBHOOK_URLS": f"{receiver.url}/a,{receiver.url}/b",
               "ALERT_WEBHOOK_SECRET": SECRET}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        name = unique("hooks")
        worker = start_worker(tmp_path, name, concurrency=1, extra_env=env)
        try:
            with consumers_paused(keep=name):
                yield receiver
        finally:
            worker.stop()


def test_a_worker_delivers_an_alert_once_per_webhook_signed_and_retries_a_500(
    world: Any, only_a_configured_worker: Receiver
) -> None:
    receiver = only_a_configured_worker
    receiver.script["/b"] = [500]

    alert_id = _raise(world.affiliate["id"])

    wait_for(lambda: len(receiver.for_alert(alert_id, "/b")) == 2, 30,
             what="the retried delivery to /b")
    wait_for(lambda: all(d["status"] == "delivered" for d in _deliveries(alert_id))
             and len(_deliveries(alert_id)) == 2, 10, what="both deliveries recorded")
    assert len(receiver.for_alert(alert_id, "/a")) == 1
    assert [r.status for r in receiver.for_alert(alert_id, "/b")] == [500, 200]
    for got in receiver.for_alert(alert_id):
        assert verify(SECRET, got.body, got.headers[SIGNATURE_HEADER])
        assert got.headers[TIMESTAMP_HEADER] == str(got.payload["sent_at"])
        assert got.payload["text"] and got.payload["blocks"]
        assert got.payload["alert"]["type"] == "HIGH_DISCREPANCY"
    attempts = sorted(d["attempts"] for d in _deliveries(alert_id))
    assert attempts == [1, 2]
    assert all(receiver.url not in d["url"] for d in _deliveries(alert_id))


def test_a_worker_delivers_a_transactions_alerts_from_one_job_and_retries_a_500(
    world: Any, only_a_configured_worker: Receiver
) -> None:
    receiver = only_a_configured_worker
    receiver.script["/b"] = [500]

    ids = _raise_together(world.affiliate["id"], 3)

    wait_for(lambda: all(len(_deliveries(a)) == 2 and all(
        d["status"] == "delivered" for d in _deliveries(a)) for a in ids), 30,
        what="the three alerts delivered to both webhooks")
    assert [len(receiver.for_alert(a, "/a")) for a in ids] == [1, 1, 1]
    assert sorted(len(receiver.for_alert(a, "/b")) for a in ids) == [1, 1, 2]


def test_a_worker_counts_the_tries_a_job_says_it_had(
    world: Any, only_a_configured_worker: Receiver
) -> None:
    """The hand-over's `retries` reaches the worker: a job that says it had four tries has
    its last, and records that no other follows."""
    from reconcile.dispatch import CeleryDispatcher

    receiver = only_a_configured_worker
    receiver.script["/b"] = [503] * 10
    with unit_of_work() as uow:  # no job of its own: this test sends the one it means
        alert = raise_alert(uow.session, SPEC, report_id=None,
                            affiliate_id=world.affiliate["id"], platform="youtube",
                            dedupe_key=unique("fifth"))
        assert alert is not None
        uow.session.info.pop("reconcile.alert_deliveries")
    assert CeleryDispatcher().deliver_alert(alert.id, retries=4)

    wait_for(lambda: len(_deliveries(alert.id)) == 2, 30, what="the last try's records")
    (failed,) = [d for d in _deliveries(alert.id) if d["status"] == "failed"]
    assert failed["retrying"] is False
    assert len(receiver.for_alert(alert.id, "/b")) == 1


def test_a_webhook_that_keeps_failing_gets_five_tries_and_its_last_error_recorded(
    world: Any, dispatched: Any, hooks: Receiver
) -> None:
    from tasks.alerts import MAX_TRIES
    from tasks.alerts import deliver_alert as task

    hooks.script["/b"] = [503] * 10
    alert_id = _raise(world.affiliate["id"])

    task.apply(args=[alert_id])  # eager: the retries run at once instead of after countdowns

    assert len(hooks.for_alert(alert_id, "/a")) == 1
    assert len(hooks.for_alert(alert_id, "/b")) == MAX_TRIES
    failed = [d for d in _deliveries(alert_id) if d["status"] == "failed"]
    assert len(failed) == 1
    assert failed[0]["attempts"] == MAX_TRIES
    assert failed[0]["last_error"] == "HTTP 503" and failed[0]["retrying"] is False


def test_a_4xx_answer_is_not_retried(world: Any, dispatched: Any, hooks: Receiver) -> None:
    hooks.script["/a"] = [410]
    alert_id = _raise(world.affiliate["id"])

    result = deliver(alert_id)

    assert (result.outcome, result.retry) == ("failed", False)
    assert len(hooks.for_alert(alert_id, "/a")) == 1


def _alert_at(affiliate_id: int, created_at: datetime) -> int:
    with unit_of_work() as uow:
        alert = Alert(rule="R2", dedupe_key=unique("storm"), type="HIGH_DISCREPANCY",
                      category="DATA_QUALITY", severity="HIGH", title="t", message="m",
                      affiliate_id=affiliate_id, platform="x", created_at=created_at)
        uow.session.add(alert)
        uow.session.flush()
        return alert.id


def test_alerts_beyond_the_storm_cap_are_folded_into_one_digest_at_the_window_end(
    world: Any, dispatched: Any, hooks: Receiver
) -> None:
    from reconcile.bootstrap import active_rules

    rules = active_rules().alerts
    affiliate_id = world.new_affiliate()["id"]
    # Mid-window, so every alert of the storm falls in the same window.
    end = window_end(datetime.now(UTC) - timedelta(hours=3), rules.delivery_window_minutes)
    created = end - timedelta(minutes=rules.delivery_window_minutes / 2)
    ids = [_alert_at(affiliate_id, created) for _ in range(rules.max_deliveries_per_window + 2)]

    outcomes = [deliver(i).outcome for i in ids]

    cap = rules.max_deliveries_per_window
    assert outcomes == ["delivered"] * cap + ["folded"] * 2
    assert [len(hooks.for_alert(i)) for i in ids] == [2] * cap + [0, 0]
    assert deliver(ids[-1]).outcome == "folded"  # a retry never takes a place in the window

    flush_digests(now=end + timedelta(seconds=1))
    flush_digests(now=end + timedelta(seconds=2))

    # Other tests' storms may share the window (and so the digest): find this one's group.
    digests = [(r, g) for r in hooks.of_kind("digest") for g in r.payload["digest"]["groups"]
               if ids[-1] in g["alert_ids"]]
    assert sorted(r.path for r, _ in digests) == ["/a", "/b"]
    group = digests[0][1]
    assert group["alert_ids"] == ids[-2:] and group["affiliate_id"] == affiliate_id
    assert all(verify(SECRET, r.body, r.headers[SIGNATURE_HEADER]) for r, _ in digests)
    assert {d["status"] for d in _deliveries(ids[-1])} == {"digested"}


def test_an_alert_never_handed_to_a_worker_is_resent_by_the_alert_sweep(
    world: Any, dispatched: Any, hooks: Receiver
) -> None:
    lost = _alert_at(world.affiliate["id"], datetime.now(UTC) - timedelta(minutes=5))
    fresh = _alert_at(world.affiliate["id"], datetime.now(UTC))
    dispatched.alerts.clear()

    # No cap: the session's other tests leave hundreds of undelivered alerts older than ours
    # (no webhook was configured for them), and the sweep takes the oldest first.
    resend_undelivered(limit=1_000_000)

    assert lost in dispatched.alerts and fresh not in dispatched.alerts


def test_with_no_webhook_an_alert_costs_no_job_and_the_sweep_sends_it_once_one_is_set(
    world: Any, dispatched: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A delivery job with nowhere to deliver is not sent. The alert keeps no delivery
    record, so when webhooks are configured later the alert sweep sends it."""
    from sqlalchemy import update

    monkeypatch.delenv("ALERT_WEBHOOK_URLS", raising=False)
    alert_id = _raise(world.affiliate["id"])
    assert dispatched.alerts == []
    assert resend_undelivered(limit=1_000_000) == 0  # no webhook: nothing to resend

    with unit_of_work() as uow:  # as old as an alert the sweep looks for
        uow.session.execute(update(Alert).where(Alert.id == alert_id).values(
            created_at=datetime.now(UTC) - timedelta(minutes=5)))
    with webhook_receiver() as receiver:
        monkeypatch.setenv("ALERT_WEBHOOK_URLS", f"{receiver.url}/a")
        resend_undelivered(limit=1_000_000)
    assert alert_id in dispatched.alerts


def test_the_daily_risk_summary_names_new_risky_affiliates_and_outages_once_a_day(
    world: Any, dispatched: Any, hooks: Receiver
) -> None:
    from reconcile.locks import redis_client

    falling, fallen = world.new_affiliate()["id"], world.new_affiliate()["id"]
    with unit_of_work() as uow:
        for affiliate_id, delta, after in ((falling, -0.05, 0.45), (fallen, -0.10, 0.20)):
            uow.session.add(TrustLedger(affiliate_id=affiliate_id, event="overclaim",
                                        delta=delta, score_after=after, rules_version="t"))
    outage = AlertSpec("R5", "PLATFORM_OUTAGE", "SYSTEM_HEALTH", "HIGH", "down", "down")
    _raise(None, outage, platform="tiktok")

    summary = risk_summary()

    assert falling in summary["affiliates_entered"]["low_trust"]
    assert fallen in summary["affiliates_entered"]["critical"]
    assert fallen not in summary["affiliates_entered"]["low_trust"]
    assert "tiktok" in [o["platform"] for o in summary["platform_outages"]]
    assert summary["open_alerts_by_severity"]["HIGH"] >= 1

    today = datetime.now(UTC).date().isoformat()
    redis_client().delete(f"reconcile:risk-summary:{today}")
    assert send_risk_summary() == 2
    assert send_risk_summary() == 0
    sent = hooks.of_kind("risk_summary")
    assert sorted(r.path for r in sent) == ["/a", "/b"]
    assert verify(SECRET, sent[0].body, sent[0].headers[SIGNATURE_HEADER])
    assert fallen in sent[0].payload["summary"]["affiliates_entered"]["critical"]


def test_deliveries_never_store_or_log_the_webhook_url_or_secret(
    world: Any, dispatched: Any, hooks: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    alert_id = _raise(world.affiliate["id"])
    with caplog.at_level("DEBUG", logger="reconcile"):
        deliver(alert_id)
    stored = str(_deliveries(alert_id))
    assert hooks.url not in stored and SECRET not in stored
    assert hooks.url not in caplog.text and SECRET not in caplog.text
    assert "Alert webhook delivered" in caplog.text

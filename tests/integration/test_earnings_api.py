"""The earnings routes: rate cards, reads, release and reject, payouts (JSON, CSV, CLI),
budgets, replays, the approval task, and what the export and risk summary carry."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from reconcile.cli import main
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, AuditEvent, EarningEntry
from reconcile.services.alerts.risk_summary import risk_summary
from reconcile.services.reconciliation.attempts import Job, run_attempts
from tests.conftest import unique, unique_post_url
from tests.integration.earnings_help import Scene, far_period_end
from tests.integration.tracking_help import auth

pytestmark = pytest.mark.network("127.0.0.1", "localhost")


def _other_client() -> dict[str, Any]:
    """An advertiser of another client."""
    from reconcile.services.admin.accounts import create_client, create_user

    other = create_client(unique("client"))["id"]
    return create_user("CLIENT", "Other", f"{unique('other')}@example.com", other)


def _scene(client: Any, world: Any, sim: Any, card: dict[str, Any] | None = None,
           events: tuple[str, ...] = ("submit 1000/1000 0/- 0/-",)) -> Scene:
    scene = Scene(client, world, sim)
    scene.start({"currency": "USD", "cpm_minor": 2000, **(card or {})})
    for event in events:
        scene.run(event)
    return scene


def test_a_rate_card_change_is_a_new_version_and_earnings_name_theirs(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    scene = _scene(client, world, sim)
    url = f"/api/v1/campaigns/{scene.campaign_id}/rate-card"
    r = client.put(url, json={"currency": "USD", "cpm_minor": 3000, "cpa_percent": 10},
                   headers=auth(world.admin))
    assert r.status_code == 200 and r.get_json()["version"] == 2
    assert r.get_json()["cpa_percent"] == "10"  # a plain decimal, never "1E+1"
    body = client.get(url, headers=auth(scene.affiliate)).get_json()
    assert body["current"]["version"] == 2
    assert [v["version"] for v in body["history"]] == [2, 1]
    assert [e.rate_card_version for e in scene.entries()] == [1]
    scene.run("update 1000/1000 0/- 0/-")  # settled again under version 2: 3000 now
    assert [(e.amount_minor, e.rate_card_version) for e in scene.entries()] == [
        (2000, 1), (1000, 2)]
    with unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).where(
            AuditEvent.action == "rate_card.changed",
            AuditEvent.target_id == str(scene.campaign_id))) == 2


@pytest.mark.parametrize("body, field", [
    ({"cpm_minor": 10}, "currency"),
    ({"currency": "usd"}, "currency"),
    ({"currency": "USD", "cpm_minor": 12.5}, None),
    ({"currency": "USD", "cpm_minor": "12"}, None),
    ({"currency": "USD", "cpm_minor": -1}, "cpm_minor"),
    ({"currency": "USD", "cpa_percent": 101}, "cpa_percent"),
    ({"currency": "USD", "milestones": [{"views": 0, "bonus_minor": 5}]}, "milestones.0.views"),
    ({"currency": "USD", "surprise": 1}, "surprise"),
])
def test_a_bad_rate_card_is_a_422_problem(client: Any, world: Any, body: dict[str, Any],
                                          field: str | None) -> None:
    r = client.put(f"/api/v1/campaigns/{world.campaign_id}/rate-card", json=body,
                   headers=auth(world.admin))
    assert r.status_code == 422 and r.mimetype == "application/problem+json", r.get_json()
    if field is not None:
        assert field in {e["field"] for e in r.get_json()["errors"]}


def test_rate_cards_belong_to_the_campaigns_client(client: Any, world: Any) -> None:
    other = world.new_affiliate()
    url = f"/api/v1/campaigns/{world.campaign_id}/rate-card"
    assert client.put(url, json={"currency": "USD"}, headers=auth(other)).status_code == 403
    assert client.put(url, json={"currency": "USD"},
                      headers=auth(world.analyst)).status_code == 403
    assert client.put("/api/v1/campaigns/987654321/rate-card", json={"currency": "USD"},
                      headers=auth(world.admin)).status_code == 404


def test_the_currency_is_fixed_once_a_campaign_has_earnings(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    scene = _scene(client, world, sim)
    r = client.put(f"/api/v1/campaigns/{scene.campaign_id}/rate-card",
                   json={"currency": "EUR", "cpm_minor": 1}, headers=auth(world.admin))
    assert r.status_code == 409 and r.get_json()["code"] == "CURRENCY_FIXED"


def test_an_affiliate_reads_only_its_own_earnings_paginated(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    scene = _scene(client, world, sim, events=(
        "submit 1000/1000 0/- 0/-", "update 1500/1500 0/- 0/-", "update 2000/2000 0/- 0/-"))
    url = f"/api/v1/affiliates/{scene.affiliate['id']}/earnings"
    first = client.get(url + "?limit=2", headers=auth(scene.affiliate)).get_json()
    assert [e["amount_minor"] for e in first["entries"]] == [1000, 1000]
    assert first["balances"] == [{"currency": "USD", "pending": 4000, "held": 0,
                                  "approved": 0, "paid": 0, "clawback": 0}]
    rest = client.get(url + f"?limit=2&cursor={first['next_cursor']}",
                      headers=auth(scene.affiliate)).get_json()
    assert [e["amount_minor"] for e in rest["entries"]] == [2000]
    assert rest["next_cursor"] is None
    assert client.get(url, headers=auth(world.affiliate)).status_code == 404
    assert client.get(url, headers=auth(world.advertiser)).status_code == 403
    assert client.get(url, headers=auth(world.analyst)).status_code == 200
    assert client.get(url + "?cursor=nope", headers=auth(world.admin)).status_code == 422


def test_a_budget_caps_what_is_committed_with_one_alert_per_campaign(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    scene = _scene(client, world, sim, card={"cpm_minor": 1000, "budget_minor": 1500})
    second = Scene(client, world, sim, campaign_id=scene.campaign_id,
                   affiliate=world.new_affiliate(), url=unique_post_url("youtube"))
    second.run("submit 800/800 0/- 0/-")
    scene.run("update 2500/2500 0/- 0/-")

    assert [(e.amount_minor, e.status) for e in scene.entries()] == [
        (1000, "pending"), (1500, "over_budget")]
    assert [(e.amount_minor, e.status) for e in second.entries()] == [
        (500, "pending"), (300, "over_budget")]
    with unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).where(
            Alert.type == "BUDGET_EXHAUSTED",
            Alert.dedupe_key == f"budget:{scene.campaign_id}")) == 1
    spend = client.get(f"/api/v1/campaigns/{scene.campaign_id}/spend",
                       headers=auth(world.advertiser)).get_json()
    assert {k: spend[k] for k in ("currency", "budget_minor", "committed_minor",
                                  "paid_minor", "held_minor", "over_budget_minor")} == {
        "currency": "USD", "budget_minor": 1500, "committed_minor": 1500, "paid_minor": 0,
        "held_minor": 0, "over_budget_minor": 1800}
    assert len(spend["by_affiliate"]) == 2
    spend_url = f"/api/v1/campaigns/{scene.campaign_id}/spend"
    assert client.get(spend_url, headers=auth(scene.affiliate)).status_code == 403
    assert client.get(spend_url, headers=auth(_other_client())).status_code == 404


def test_replaying_a_report_writes_nothing(client: Any, world: Any, sim: Any,
                                           dispatched: Any) -> None:
    scene = _scene(client, world, sim)
    before = [e.id for e in scene.entries()]
    assert run_attempts([Job(scene.reports[-1], 1)]) == [None]  # the same attempt again
    scene.rerun_latest()  # a re-run that finds the same numbers
    scene.rerun_latest()
    assert [e.id for e in scene.entries()] == before


def test_release_and_reject_are_for_admins_and_the_owning_client_and_audited(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    scene = _scene(client, world, sim, events=("submit 1000/1000 0/- 0/-", "fraud"))
    [entry] = scene.entries()
    assert entry.status == "held"
    url = f"/api/v1/earnings/{entry.id}"
    assert client.post(url + "/release", headers=auth(world.analyst)).status_code == 403
    assert client.post(url + "/release", headers=auth(scene.affiliate)).status_code == 403
    assert client.post(url + "/release", headers=auth(_other_client())).status_code == 404
    r = client.post(url + "/release", json={"note": "looked fine"},
                    headers=auth(world.advertiser))
    assert r.status_code == 200 and r.get_json()["status"] == "pending"
    again = client.post(url + "/reject", headers=auth(world.admin))
    assert again.status_code == 409 and again.get_json()["code"] == "ENTRY_NOT_HELD"
    assert client.post("/api/v1/earnings/987654321/reject",
                       headers=auth(world.admin)).status_code == 404
    with unit_of_work() as uow:
        audited = uow.session.scalars(select(AuditEvent).where(
            AuditEvent.target_id == str(entry.id), AuditEvent.target_type == "earning")).all()
        assert [(a.action, a.actor_user_id, a.after["note"]) for a in audited] == [
            ("earnings.released", world.advertiser["id"], "looked fine")]


def test_a_held_entry_shows_in_the_export_the_risk_summary_and_the_held_list(
        client: Any, world: Any, sim: Any, dispatched: Any, tmp_path: Any) -> None:
    scene = _scene(client, world, sim, events=("submit 1000/1000 0/- 0/-", "fraud"))
    [entry] = scene.entries()
    held = {h["currency"]: h for h in risk_summary()["held_earnings"]}
    assert held["USD"]["held_minor"] >= 2000 and held["USD"]["posts"] >= 1
    items = client.get("/api/v1/earnings/held", headers=auth(world.admin)).get_json()["items"]
    [mine] = [i for i in items if i["post_id"] == scene.post_id]
    assert mine["held_minor"] == 2000
    assert any("SUSPICIOUS_CLAIM (HIGH FRAUD)" in r for r in mine["reasons"])
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    out = tmp_path / "export.jsonl"
    result = CliRunner().invoke(main, ["export", "--since", today, "--format", "jsonl",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {"table": "earnings", "id": entry.id, "status": "held", "amount_minor": 2000} \
        .items() <= next(r for r in rows if r["table"] == "earnings"
                         and r["id"] == entry.id).items()


def test_a_payout_is_made_once_per_period_as_json_csv_and_from_the_cli(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    scene = _scene(client, world, sim, events=("submit 1000/1000 0/- 0/-", "approve"))
    period = far_period_end().isoformat()
    r = client.post("/api/v1/payouts", json={"period_end": period, "min_payout_minor": 100},
                    headers=auth(world.admin))
    assert r.status_code == 201, r.get_json()
    payout = r.get_json()
    mine = [s for s in payout["statements"] if s["affiliate_id"] == scene.affiliate["id"]]
    assert mine == [{"affiliate_id": scene.affiliate["id"], "currency": "USD",
                     "amount_minor": 2000, "entry_ids": [scene.entries()[0].id]}]
    again = client.post("/api/v1/payouts", json={"period_end": period},
                        headers=auth(world.admin))
    assert again.status_code == 200 and again.get_json() == payout
    assert client.get(f"/api/v1/payouts/{payout['payout_id']}",
                      headers=auth(world.analyst)).get_json() == payout
    csv_r = client.get(f"/api/v1/payouts/{payout['payout_id']}/statements.csv",
                       headers=auth(world.analyst))
    assert csv_r.status_code == 200 and csv_r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(csv_r.get_data(as_text=True))))
    assert {"affiliate_id": str(scene.affiliate["id"]), "currency": "USD",
            "amount_minor": "2000"}.items() <= next(
        row for row in rows if row["affiliate_id"] == str(scene.affiliate["id"])).items()
    assert client.post("/api/v1/payouts", json={"period_end": period},
                       headers=auth(world.analyst)).status_code == 403
    assert client.get("/api/v1/payouts/987654321",
                      headers=auth(world.admin)).status_code == 404
    bad = client.post("/api/v1/payouts", json={"period_end": "soon"},
                      headers=auth(world.admin))
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"

    cli_period = far_period_end().isoformat()
    first = CliRunner().invoke(main, ["payouts", "run", "--period-end", cli_period,
                                      "--min-payout", "0"])
    second = CliRunner().invoke(main, ["payouts", "run", "--period-end", cli_period])
    assert first.exit_code == 0 and json.loads(first.stdout)["created"] is True
    assert second.exit_code == 0 and json.loads(second.stdout)["created"] is False
    assert json.loads(second.stdout)["payout_id"] == json.loads(first.stdout)["payout_id"]
    wrong = CliRunner().invoke(main, ["payouts", "run", "--period-end", "tomorrow"])
    assert wrong.exit_code == 2 and "period-end" in wrong.output


def test_the_approval_task_approves_past_the_window_once(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    from reconcile.services.earnings.approval import approve_due

    scene = _scene(client, world, sim, card={"validation_days": 3})
    [entry] = scene.entries()
    assert entry.approve_after - entry.created_at == timedelta(days=3)
    approve_due(datetime.now(UTC) + timedelta(days=2))
    assert scene.entries()[0].status == "pending"
    approve_due(datetime.now(UTC) + timedelta(days=4))
    assert scene.entries()[0].status == "approved"
    assert approve_due(datetime.now(UTC) + timedelta(days=4)) == 0


def test_the_database_refuses_to_change_or_delete_an_entry(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    scene = _scene(client, world, sim, events=("submit 1000/1000 0/- 0/-", "approve",
                                               "payout"))
    [entry] = scene.entries()
    for statement in (f"UPDATE earnings SET amount_minor = 1 WHERE id = {entry.id}",
                      f"UPDATE earnings SET status = 'approved' WHERE id = {entry.id}",
                      f"DELETE FROM earnings WHERE id = {entry.id}"):
        with pytest.raises(Exception, match="append-only"), unit_of_work() as uow:
            uow.session.execute(text(statement))
    assert scene.entries()[0].status == "paid"
    with unit_of_work() as uow:
        assert uow.session.get(EarningEntry, entry.id).amount_minor == 2000


def test_a_holding_flag_on_the_latest_report_holds_the_post_and_says_why(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    first = _scene(client, world, sim)
    # Another affiliate claims the same URL: its report carries duplicate_claim (HIGH).
    second = Scene(client, world, sim, campaign_id=first.campaign_id,
                   affiliate=world.new_affiliate(), url=first.url)
    second.run("submit 1000/1000 0/- 0/-")
    assert "duplicate_claim" in {f["name"] for flags in second.flags() for f in flags}
    assert [(e.amount_minor, e.status) for e in second.entries()] == [(2000, "held")]
    items = client.get("/api/v1/earnings/held", headers=auth(world.admin)).get_json()["items"]
    [held] = [i for i in items if i["post_id"] == second.post_id]
    assert "flag duplicate_claim" in held["reasons"]
    # A newer report without the flag lifts that cause; the duplicate's SUSPICIOUS_CLAIM
    # alert (HIGH, FRAUD) still holds it until it is resolved.
    second.run("update 1000/1000 0/- 0/-")
    items = client.get("/api/v1/earnings/held", headers=auth(world.admin)).get_json()["items"]
    [held] = [i for i in items if i["post_id"] == second.post_id]
    assert "flag duplicate_claim" not in held["reasons"]
    assert any("SUSPICIOUS_CLAIM" in r for r in held["reasons"]), held
    second.run("resolve")
    assert [e.status for e in second.entries()] == ["pending"]


def test_an_affiliate_in_the_critical_trust_bucket_is_held_until_it_leaves_it(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    from reconcile.persistence.models import User

    scene = _scene(client, world, sim)
    with unit_of_work() as uow:
        uow.session.get_one(User, scene.affiliate["id"]).trust_score = 0.1
    scene.run("update 1100/1100 0/- 0/-")  # settled again: every post of it is re-checked
    assert [e.status for e in scene.entries()] == ["held", "held"]
    items = client.get("/api/v1/earnings/held", headers=auth(world.admin)).get_json()["items"]
    assert "trust critical" in next(i for i in items if i["post_id"] == scene.post_id)[
        "reasons"]
    with unit_of_work() as uow:
        uow.session.get_one(User, scene.affiliate["id"]).trust_score = 0.6
    scene.run("update 1200/1200 0/- 0/-")
    assert [e.status for e in scene.entries()] == ["pending", "pending", "pending"]


def test_a_takedown_is_idempotent_and_later_reports_earn_nothing(
        client: Any, world: Any, sim: Any, dispatched: Any) -> None:
    scene = _scene(client, world, sim, events=("submit 1000/1000 0/- 0/-", "takedown",
                                               "takedown", "update 3000/3000 0/- 0/-"))
    assert [(e.kind, e.amount_minor) for e in scene.entries()] == [
        ("earning", 2000), ("reversal", -2000)]

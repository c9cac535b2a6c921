"""The audit trail: each operator action is recorded with who, when, what, before and after,
in the same transaction as the action; the record is append-only; GET /audit and
`reconcile audit` read it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from reconcile.cli import main
from reconcile.persistence.db import get_engine, unit_of_work
from reconcile.persistence.models import AuditEvent, User
from tests.integration.apihelp import alert_about, new_user


def _events(**where: Any) -> list[AuditEvent]:
    with unit_of_work() as uow:
        q = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            q = q.where(getattr(AuditEvent, name) == value)
        return list(uow.session.scalars(q))


def _as(world: Any, user: dict[str, Any]) -> dict[str, str]:
    return {**world.auth(user), "X-Request-ID": uuid.uuid4().hex}


def _one(request_id: str) -> AuditEvent:
    found = _events(request_id=request_id)
    assert len(found) == 1, found
    return found[0]


def test_user_actions_are_recorded_with_the_actor_the_request_and_before_and_after(
    client: Any, world: Any
) -> None:
    admin, admin_id = world.admin, world.admin["id"]
    headers = _as(world, admin)
    made = client.post("/api/v1/users", headers=headers, json={
        "role": "ANALYST", "name": "Ann", "email": f"{uuid.uuid4().hex[:8]}@example.com"})
    assert made.status_code == 201
    created = _one(headers["X-Request-ID"])
    user_id = made.get_json()["id"]

    disable = _as(world, admin)
    assert client.patch(f"/api/v1/users/{user_id}", json={"is_active": False},
                        headers=disable).status_code == 200
    rotate = _as(world, admin)
    assert client.post(f"/api/v1/users/{user_id}/api-key", headers=rotate).status_code == 201

    assert (created.actor, created.actor_user_id, created.actor_role) == (
        f"user:{admin_id}", admin_id, "ADMIN")
    assert (created.action, created.target_type, created.target_id) == (
        "user.created", "user", str(user_id))
    assert created.after["email"] == made.get_json()["email"]
    assert made.get_json()["api_key"] not in json.dumps(created.after)  # never the key
    disabled = _one(disable["X-Request-ID"])
    assert (disabled.action, disabled.before, disabled.after) == (
        "user.disabled", {"is_active": True}, {"is_active": False})
    rotated = _one(rotate["X-Request-ID"])
    assert rotated.action == "api_key.rotated"
    assert rotated.before["api_key_prefix"] != rotated.after["api_key_prefix"]
    assert abs(datetime.now(UTC) - _aware(rotated.occurred_at)) < timedelta(minutes=1)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_containment_and_alert_actions_are_recorded(client: Any, world: Any,
                                                    dispatched: Any) -> None:
    alert_id = alert_about(world.affiliate, world.campaign_id)
    resolve, pause, resume, disable, enable = (_as(world, world.admin) for _ in range(5))

    client.post(f"/api/v1/alerts/{alert_id}/resolve", json={"note": "checked"}, headers=resolve)
    client.post("/api/v1/ops/intake", json={"paused": True}, headers=pause)
    client.post("/api/v1/ops/intake", json={"paused": False}, headers=resume)
    client.patch("/api/v1/platforms/tiktok", json={"is_active": False}, headers=disable)
    client.patch("/api/v1/platforms/tiktok", json={"is_active": True}, headers=enable)

    got = {h["X-Request-ID"]: _one(h["X-Request-ID"])
           for h in (resolve, pause, resume, disable, enable)}
    assert [(e.action, e.target_id, e.before, e.after) for e in got.values()] == [
        ("alert.resolved", str(alert_id), {"status": "OPEN"},
         {**got[resolve["X-Request-ID"]].after, "status": "RESOLVED",
          "resolution_note": "checked"}),
        ("intake.paused", "intake_paused", {"paused": False}, {"paused": True}),
        ("intake.resumed", "intake_paused", {"paused": True}, {"paused": False}),
        ("platform.disabled", "tiktok", {"is_active": True}, {"is_active": False}),
        ("platform.enabled", "tiktok", {"is_active": False}, {"is_active": True}),
    ]


def test_a_refused_action_records_nothing(client: Any, world: Any, dispatched: Any) -> None:
    alert_id = alert_about(world.affiliate, world.campaign_id)
    first, second = _as(world, world.admin), _as(world, world.admin)

    client.post(f"/api/v1/alerts/{alert_id}/resolve", json={"note": "a"}, headers=first)
    again = client.post(f"/api/v1/alerts/{alert_id}/resolve", json={"note": "b"},
                        headers=second)

    assert again.status_code == 409
    assert _events(request_id=second["X-Request-ID"]) == []
    assert len(_events(action="alert.resolved", target_id=str(alert_id))) == 1


def test_the_record_commits_with_the_action_or_not_at_all(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconcile.services.admin import accounts

    user = new_user("ANALYST")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit write failed")

    monkeypatch.setattr(accounts, "record", broken)
    with pytest.raises(RuntimeError):
        accounts.set_user_active(user["id"], False)

    with unit_of_work() as uow:
        assert uow.session.get(User, user["id"]).is_active is True  # the action rolled back


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'forged' WHERE id = :id",
    "DELETE FROM audit_events WHERE id = :id",
])
def test_the_database_refuses_to_change_or_delete_an_audit_row(
    world: Any, statement: str
) -> None:
    new_user("ANALYST")  # at least one event exists
    last = _events()[-1]

    with pytest.raises(DBAPIError, match="append-only"), get_engine().begin() as conn:
        conn.execute(text(statement), {"id": last.id})

    assert _events(id=last.id)[0].action == last.action


def test_get_audit_filters_by_actor_action_and_since_and_pages_with_a_cursor(
    client: Any, world: Any
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    for _ in range(3):
        client.post("/api/v1/clients", json={"name": "c"}, headers=world.auth(world.admin))

    resp = client.get(f"/api/v1/audit?actor={world.admin['id']}&action=client.created"
                      f"&since={started.isoformat().replace('+00:00', 'Z')}&limit=2",
                      headers=world.auth(world.analyst))
    assert resp.status_code == 200
    first = resp.get_json()
    rest = client.get(f"/api/v1/audit?actor=user:{world.admin['id']}&action=client.created"
                      f"&limit=2&cursor={first['next_cursor']}",
                      headers=world.auth(world.admin)).get_json()

    items = first["items"] + rest["items"]
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert [e["action"] for e in items] == ["client.created"] * 3
    assert {e["actor"] for e in items} == {f"user:{world.admin['id']}"}
    assert [e["id"] for e in items] == sorted((e["id"] for e in items), reverse=True)


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("analyst", 200),
                                              ("advertiser", 403), ("affiliate", 403)])
def test_only_admins_and_analysts_read_the_audit_trail(client: Any, world: Any, role: str,
                                                       status: int) -> None:
    resp = client.get("/api/v1/audit", headers=world.auth(getattr(world, role)))

    assert resp.status_code == status


@pytest.mark.parametrize("query", ["actor=nobody", "actor=user:x", "since=yesterday",
                                   "action=" + "a" * 65, "limit=0"])
def test_a_bad_audit_filter_is_422(client: Any, world: Any, query: str) -> None:
    resp = client.get(f"/api/v1/audit?{query}", headers=world.auth(world.admin))

    assert resp.status_code == 422


def test_the_audit_route_is_in_the_openapi_document(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    get = spec["paths"]["/api/v1/audit"]["get"]

    assert get["x-roles"] == ["ADMIN", "ANALYST"]
    assert {p["name"] for p in get["parameters"]} >= {"actor", "action", "since", "cursor",
                                                      "limit"}


def test_cli_actions_are_recorded_as_cli_and_reconcile_audit_prints_them(
    world: Any, tmp_path: Path
) -> None:
    name = f"cli-client-{uuid.uuid4().hex[:8]}"
    runner = CliRunner()

    made = runner.invoke(main, ["clients", "create", "--name", name])
    exported = runner.invoke(main, ["export", "--since", "2999-01-01", "--format", "jsonl",
                                    "--out", str(tmp_path / "x.jsonl")])
    shown = runner.invoke(main, ["audit", "--actor", "cli", "--action", "client.created",
                                 "--limit", "50"])

    assert made.exit_code == exported.exit_code == shown.exit_code == 0, shown.output
    events = [json.loads(line) for line in shown.output.splitlines()]
    mine = [e for e in events if e["after"]["name"] == name]
    assert len(mine) == 1 and mine[0]["actor"] == "cli" and mine[0]["actor_user_id"] is None
    export = _events(action="export.written")[-1]
    assert (export.actor, export.after["format"], export.after["since"]) == (
        "cli", "jsonl", "2999-01-01T00:00:00+00:00")


def test_reconcile_audit_refuses_a_bad_actor_in_one_line() -> None:
    result = CliRunner().invoke(main, ["audit", "--actor", "somebody"])

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1


def test_a_change_of_the_rules_in_force_is_recorded_once_by_the_system(stack: Any) -> None:
    from reconcile.bootstrap import active_rules
    from reconcile.rules import rules_from_mapping
    from reconcile.services.admin.housekeeping import note_rules_version

    current = active_rules()
    note_rules_version(current)  # whatever the trail held, it now names the rules in force
    changed = rules_from_mapping({"classification": {"base_tolerance_pct": 0.04}})

    assert note_rules_version(current) is False  # nothing changed
    assert note_rules_version(changed) is True
    assert note_rules_version(changed) is False

    event = _events(action="rules.changed")[-1]
    assert (event.actor, event.before["version"], event.after["version"]) == (
        "system", current.version, changed.version)
    assert event.after["rules"]["classification"]["base_tolerance_pct"] == 0.04
    note_rules_version(current)  # leave the trail naming the rules in force

"""API keys: long and random, stored only as a hash, shown once, rotated and revoked at once."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import User
from tests.conftest import unique


def test_a_key_carries_at_least_32_random_bytes_and_only_its_hash_is_stored(
    client: Any, world: Any
) -> None:
    made = client.post("/api/v1/users", json={"role": "AFFILIATE", "name": "K",
                                               "email": f"{unique('k')}@example.com"},
                       headers=world.auth(world.admin)).get_json()
    key = made["api_key"]
    secret = key.removeprefix("rk_")

    assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) >= 32
    with unit_of_work() as uow:
        row = uow.session.scalars(select(User).where(User.id == made["id"])).one()
        stored = [str(getattr(row, c.key)) for c in User.__table__.columns]
    assert row.api_key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert not any(secret in value for value in stored)
    shown_again = client.get("/api/v1/clients", headers=world.auth(world.admin)).get_data()
    assert secret.encode() not in shown_again


def test_two_keys_are_never_alike(world: Any) -> None:
    keys = {world.new_affiliate()["api_key"] for _ in range(20)}

    assert len(keys) == 20


def test_rotation_kills_the_old_key_at_once(client: Any, world: Any) -> None:
    old = world.auth(world.affiliate)
    rotated = client.post(f"/api/v1/users/{world.affiliate['id']}/api-key", headers=old)

    assert rotated.status_code == 201
    assert client.get("/api/v1/alerts", headers=old).status_code == 401
    new = {"Authorization": f"Bearer {rotated.get_json()['api_key']}"}
    assert client.get("/api/v1/alerts", headers=new).status_code == 200


def test_a_disabled_user_gets_401_until_enabled_again(client: Any, world: Any) -> None:
    admin, mine = world.auth(world.admin), world.auth(world.analyst)
    path = f"/api/v1/users/{world.analyst['id']}"

    assert client.patch(path, json={"is_active": False}, headers=admin).status_code == 200
    assert client.get("/api/v1/alerts", headers=mine).status_code == 401
    assert client.patch(path, json={"is_active": True}, headers=admin).status_code == 200
    assert client.get("/api/v1/alerts", headers=mine).status_code == 200


def test_a_malformed_authorization_header_is_401(client: Any, world: Any) -> None:
    for header in ("Basic abc", "Bearer", "Bearer  ", world.affiliate["api_key"], "bearer x"):
        resp = client.get("/api/v1/alerts", headers={"Authorization": header})
        assert resp.status_code == 401, header


def _users_reads(sent: list[str]) -> list[str]:
    return [s for s in sent if "FROM users" in s and "api_key_hash" in s]


def test_a_key_seen_a_moment_ago_costs_no_database_lookup(client: Any, world: Any,
                                                         statements: list[str]) -> None:
    mine = world.auth(world.new_affiliate())
    assert client.get("/api/v1/alerts", headers=mine).status_code == 200
    assert len(_users_reads(statements)) == 1
    statements.clear()

    for _ in range(3):
        assert client.get("/api/v1/alerts", headers=mine).status_code == 200

    assert _users_reads(statements) == []


def test_a_remembered_key_is_refused_once_its_user_is_disabled_elsewhere(
    client: Any, world: Any
) -> None:
    from reconcile.services.admin.accounts import set_user_active

    affiliate = world.new_affiliate()
    mine = world.auth(affiliate)
    assert client.get("/api/v1/alerts", headers=mine).status_code == 200  # now remembered

    set_user_active(affiliate["id"], False)  # what another process (the CLI) would do

    assert client.get("/api/v1/alerts", headers=mine).status_code == 401


def test_without_redis_to_tell_of_revocations_every_request_asks_the_database(
    client: Any, world: Any, stack: Any, monkeypatch: Any
) -> None:
    from sqlalchemy import update

    from reconcile import redis_clients

    affiliate = world.new_affiliate()
    mine = world.auth(affiliate)
    assert client.get("/api/v1/alerts", headers=mine).status_code == 200  # now remembered
    # Disabled behind the counter's back, then Redis "fails": nothing vouches for the copy.
    with unit_of_work() as uow:
        uow.session.execute(update(User).where(User.id == affiliate["id"])
                            .values(is_active=False))
    monkeypatch.setattr(redis_clients, "_resting_until", {})  # the rest ends with the test
    redis_clients.note_failure(stack["redis_url"])

    assert client.get("/api/v1/alerts", headers=mine).status_code == 401

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

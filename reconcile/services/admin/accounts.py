"""Clients, users and API keys."""

from __future__ import annotations

import contextlib
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from reconcile.bootstrap import active_rules
from reconcile.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from reconcile.locks import redis_client
from reconcile.persistence.db import UnitOfWork, get_engine, unit_of_work
from reconcile.persistence.models import Client, User
from reconcile.security import hash_api_key, key_prefix, new_api_key
from reconcile.services.audit import SYSTEM, Actor, record
from reconcile.services.principal import Principal
from reconcile.vocabulary import Role, values


def client_view(client: Client) -> dict[str, Any]:
    return {"id": client.id, "name": client.name, "created_at": client.created_at.isoformat()}


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "client_id": user.client_id,
        "trust_score": user.trust_score,
        "is_active": user.is_active,
    }


def create_client(name: str, actor: Actor = SYSTEM) -> dict[str, Any]:
    with unit_of_work() as uow:
        client = Client(name=name)
        uow.session.add(client)
        uow.session.flush()
        view = client_view(client)
        record(uow.session, actor, "client.created", ("client", client.id),
               after={"name": name})
        return view


def list_clients(after: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Clients by id, those after `after`, at most `limit`."""
    q = select(Client).order_by(Client.id).limit(limit)
    if after is not None:
        q = q.where(Client.id > after)
    with unit_of_work() as uow:
        return [client_view(c) for c in uow.session.scalars(q)]


def create_user(role: str, name: str, email: str, client_id: int | None = None,
                actor: Actor = SYSTEM) -> dict[str, Any]:
    """Create a user and return it with its API key (the only time the key is shown)."""
    if role not in values(Role):
        raise ValidationFailed([{"field": "role", "message": f"must be one of {', '.join(Role)}"}])
    if role == Role.CLIENT and client_id is None:
        raise ValidationFailed([{"field": "client_id", "message": "required for role CLIENT"}])
    key = new_api_key()
    with unit_of_work() as uow:
        if client_id is not None and uow.session.get(Client, client_id) is None:
            raise ValidationFailed([{"field": "client_id", "message": "no such client"}])
        if uow.session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(f"a user with email {email} already exists")
        user = User(
            role=role,
            name=name,
            email=email,
            client_id=client_id if role == Role.CLIENT else None,
            api_key_hash=hash_api_key(key),
            api_key_prefix=key_prefix(key),
            trust_score=active_rules().trust.initial,
            is_active=True,
        )
        uow.session.add(user)
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"a user with email {email} already exists") from exc
        view = user_view(user)
        record(uow.session, actor, "user.created", ("user", user.id),
               after={**view, "api_key_prefix": user.api_key_prefix})
        return {**view, "api_key": key}


_users = User.__table__.c
_BY_KEY_HASH = select(
    _users.id, _users.role, _users.client_id, _users.is_active, _users.trust_score
).where(_users.api_key_hash == bindparam("key_hash"))


# API processes keep the principals of recent keys for a few seconds (api/keycache.py) and
# check on every request, in the rate limiter's Redis call, that this counter has not moved
# since. Anything that can make a cached principal wrong (a key rotated, a user disabled)
# moves it, so a revoked key stops working at once in every process.
AUTH_VERSION_KEY = "reconcile:auth:version"


def auth_version() -> bytes | None:
    """The counter's value now (None: never moved, or lost with a Redis restart)."""
    return redis_client().get(AUTH_VERSION_KEY)  # type: ignore[return-value]


def _revoke_cached_principals(uow: UnitOfWork) -> None:
    """Move the counter inside the transaction, so that a Redis that cannot be told rolls
    the change back (503) rather than leave processes trusting what they cached; and again
    after the commit, for a process that read the old row between the two."""
    redis_client().incr(AUTH_VERSION_KEY)

    def again() -> None:
        with contextlib.suppress(RedisError):  # the first move already revoked everything
            redis_client().incr(AUTH_VERSION_KEY)

    uow.after_commit(again)


def authenticate(api_key: str | None) -> Principal:
    """Return the principal for a key, or raise Unauthenticated."""
    if not api_key:
        raise Unauthenticated("missing API key")
    # Every request runs this: a prebuilt statement on a bare connection, no ORM session.
    with get_engine().connect() as conn:
        row = conn.execute(_BY_KEY_HASH, {"key_hash": hash_api_key(api_key)}).first()
    if row is None or not row.is_active:
        raise Unauthenticated("unknown or revoked API key")
    return Principal(user_id=row.id, role=row.role, client_id=row.client_id,
                     trust_score=row.trust_score if row.role == Role.AFFILIATE else None)


def rotate_api_key(principal: Principal, user_id: int,
                   request_id: str | None = None) -> dict[str, str]:
    """Issue a new key for the user; the old one stops working at once."""
    if not principal.is_admin and principal.user_id != user_id:
        raise NotFound("no such user")
    key = new_api_key()
    with unit_of_work() as uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound("no such user")
        before = {"api_key_prefix": user.api_key_prefix}
        user.api_key_hash, user.api_key_prefix = hash_api_key(key), key_prefix(key)
        _revoke_cached_principals(uow)
        record(uow.session, Actor.of(principal, request_id), "api_key.rotated",
               ("user", user_id), before=before, after={"api_key_prefix": user.api_key_prefix})
    return {"api_key": key}


def set_user_active(user_id: int, is_active: bool, actor: Actor = SYSTEM) -> dict[str, Any]:
    with unit_of_work() as uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound("no such user")
        before = {"is_active": user.is_active}
        user.is_active = is_active
        _revoke_cached_principals(uow)
        record(uow.session, actor, "user.enabled" if is_active else "user.disabled",
               ("user", user_id), before=before, after={"is_active": is_active})
        return user_view(user)

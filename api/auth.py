"""API-key authentication, rate limits and role checks for views."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request
from redis.exceptions import RedisError

from api import ratelimit
from api.keycache import KeyCache
from reconcile.errors import Forbidden, Unauthenticated
from reconcile.services.admin.accounts import AUTH_VERSION_KEY, auth_version, authenticate
from reconcile.services.audit import Actor
from reconcile.services.intake.control import intake_reads
from reconcile.services.principal import Principal
from reconcile.vocabulary import Role

F = TypeVar("F", bound=Callable[..., Any])

ANY_ROLE = tuple(Role)


def bearer_key() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


def current() -> Principal:
    return cast(Principal, g.principal)


def actor() -> Actor:
    """The caller as the audit trail names it, with this request's id."""
    return Actor.of(current(), g.get("request_id"))


_keys = KeyCache()


def _from_database(key: str | None) -> Principal:
    """The key's principal from the database, remembered if the revocation counter could be
    read first (read before the row: a revocation in between moves it past what we keep)."""
    version, known = None, False
    if key:  # unread (Redis down): not kept, nothing could tell this process of a revocation
        with contextlib.suppress(RedisError, OSError):
            version, known = auth_version(), True
    try:
        principal = authenticate(key)
    except Unauthenticated:
        ratelimit.charge_anonymous()  # guessing keys costs the address its quota
        raise
    if known and key:
        _keys.put(key, principal, version)
    return principal


def _authenticated(rate: str) -> Principal:
    """Authenticate the caller and count the request against its quota (module docstring of
    api/keycache.py: a recent key's principal is reused while the revocation counter holds)."""
    key = bearer_key()
    cached = _keys.get(key) if key else None
    principal = cached.principal if cached is not None else _from_database(key)
    g.principal = principal
    # Read beside the count: the revocation counter for a remembered key, and what a
    # submission's intake check reads (kept on g for the view to hand to the service).
    reads = [*([("GET", AUTH_VERSION_KEY)] if cached else []),
             *(intake_reads() if rate == "submissions" else [])]
    quota, answers = ratelimit.take(principal, rate, reads)
    if rate == "submissions":
        g.intake_answers = answers[-len(intake_reads()):] if answers is not None else None
    if cached is not None and key and (answers is None or answers[0] != cached.version):
        _keys.drop(key)
        principal = g.principal = _from_database(key)
    ratelimit.enforce(quota)
    return principal


def require(*roles: str, rate: str = "default") -> Callable[[F], F]:
    """Authenticate the caller and count the request against its quota of kind `rate`
    ("submissions", "reruns" or "default"); 401 without a valid key, 429 over the quota,
    403 for a role not listed. The roles are kept on the view for the OpenAPI document."""
    allowed = roles or ANY_ROLE

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = _authenticated(rate)
            if principal.role not in allowed:
                raise Forbidden(f"role {principal.role} may not do this")
            return view(*args, **kwargs)

        wrapper.required_roles = allowed  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorate

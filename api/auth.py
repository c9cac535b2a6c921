"""API-key authentication, rate limits and role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request

from api import ratelimit
from reconcile.errors import Forbidden, Unauthenticated
from reconcile.services.admin.accounts import authenticate
from reconcile.services.audit import Actor
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


def require(*roles: str, rate: str = "default") -> Callable[[F], F]:
    """Authenticate the caller and count the request against its quota of kind `rate`
    ("submissions", "reruns" or "default"); 401 without a valid key, 429 over the quota,
    403 for a role not listed. The roles are kept on the view for the OpenAPI document."""
    allowed = roles or ANY_ROLE

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                principal = authenticate(bearer_key())
            except Unauthenticated:
                ratelimit.charge_anonymous()  # guessing keys costs the address its quota
                raise
            g.principal = principal
            ratelimit.charge(principal, rate)
            if principal.role not in allowed:
                raise Forbidden(f"role {principal.role} may not do this")
            return view(*args, **kwargs)

        wrapper.required_roles = allowed  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorate

"""API-key authentication and role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request

from reconcile.errors import Forbidden
from reconcile.services.accounts import authenticate
from reconcile.services.principal import Principal

F = TypeVar("F", bound=Callable[..., Any])

ANY_ROLE = ("ADMIN", "CLIENT", "ANALYST", "AFFILIATE")


def bearer_key() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


def current() -> Principal:
    return cast(Principal, g.principal)


def require(*roles: str) -> Callable[[F], F]:
    """Authenticate the caller; 401 without a valid key, 403 for a role not listed."""
    allowed = roles or ANY_ROLE

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate(bearer_key())
            g.principal = principal
            if principal.role not in allowed:
                raise Forbidden(f"role {principal.role} may not do this")
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate

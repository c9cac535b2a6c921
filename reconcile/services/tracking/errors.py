"""Named failures of tracking; the API maps each to its problem+json code."""

from __future__ import annotations

from reconcile.errors import Conflict, LinkInUse, ReconcileError

__all__ = ["AlreadyReversed", "BadSignature", "LinkInUse", "UnknownClick"]


class UnknownClick(ReconcileError):
    """No click with this click_id is known to this client."""

    code, status = "UNKNOWN_CLICK", 422


class AlreadyReversed(Conflict):
    """The conversion is already reversed."""

    code = "ALREADY_REVERSED"


class BadSignature(ReconcileError):
    """The pixel's signature is missing or does not match the client's postback secret."""

    code, status = "AUTHENTICATION_REQUIRED", 401

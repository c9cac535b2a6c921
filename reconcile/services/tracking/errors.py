"""Named failures of tracking; the API maps each to its problem+json code."""

from __future__ import annotations

from reconcile.errors import Conflict, ReconcileError


class LinkInUse(Conflict):
    """The tracked link already belongs to another post."""

    code = "LINK_IN_USE"


class UnknownClick(ReconcileError):
    """No click with this click_id is known to this client."""

    code, status = "UNKNOWN_CLICK", 422


class AlreadyReversed(Conflict):
    """The conversion is already reversed."""

    code = "ALREADY_REVERSED"


class BadSignature(ReconcileError):
    """The pixel's signature is missing or does not match the client's postback secret."""

    code, status = "AUTHENTICATION_REQUIRED", 401

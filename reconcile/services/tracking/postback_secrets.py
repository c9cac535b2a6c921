"""Each client's postback secret: made (or replaced) on request, shown once."""

from __future__ import annotations

import hmac
import secrets as random
from datetime import UTC, datetime
from hashlib import sha256

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from reconcile.errors import NotFound
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Client, PostbackSecret
from reconcile.services.audit import Actor, record
from reconcile.services.principal import Principal


def rotate_secret(principal: Principal, client_id: int, actor: Actor | None = None) -> dict:
    """Make a new secret for the client; the old one stops working at once."""
    if principal.role == "CLIENT" and principal.client_id != client_id:
        raise NotFound("no such client")
    secret = random.token_hex(32)
    with unit_of_work() as uow:
        s = uow.session
        if s.get(Client, client_id) is None:
            raise NotFound("no such client")
        row = s.get(PostbackSecret, client_id, with_for_update=True)
        if row is None:
            s.add(PostbackSecret(client_id=client_id, secret=secret,
                                 created_at=datetime.now(UTC)))
        else:
            row.secret, row.created_at = secret, datetime.now(UTC)
        record(s, actor or Actor.of(principal, None), "client.postback_secret_rotated",
               ("client", client_id), after={"rotated": True})  # never the secret itself
    return {"client_id": client_id, "secret": secret}


def signature(secret: str, signed: str) -> str:
    """The hex HMAC-SHA256 of the signed text with the secret."""
    return hmac.new(secret.encode(), signed.encode(), sha256).hexdigest()


def verifies(db: Session | Connection, client_id: int, signed: str, sig: str | None
             ) -> bool:
    """Tell whether `sig` is the client's current secret's signature of `signed`."""
    secret = db.scalar(select(PostbackSecret.secret)
                            .where(PostbackSecret.client_id == client_id))
    if not secret or not sig:
        return False
    return hmac.compare_digest(signature(secret, signed), sig.lower())


def unsigned_query(raw_query: str) -> str:
    """The query string as received, without its `sig` parameter (what the client signed)."""
    return "&".join(p for p in raw_query.split("&") if p and not p.startswith("sig="))

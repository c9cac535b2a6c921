"""POST signed JSON to the alert webhooks; never write a webhook URL or secret anywhere.

Every delivery is signed when ALERT_WEBHOOK_SECRET is set:

- `X-Reconcile-Signature: sha256=<hex>`: HMAC-SHA256 of the raw request body.
- `X-Reconcile-Timestamp: <unix seconds>`: also in the body as `sent_at`, so the signature
  covers it. Receivers should reject a body whose `sent_at` is more than five minutes old
  (a replayed delivery) and may drop a repeated `X-Reconcile-Delivery` id (a retried one).

A webhook URL is a secret too (a Slack URL is its own credential): outcomes and logs name
it only by `redact(url)` and `webhook_id(url)`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

log = logging.getLogger("reconcile.alerts")

SIGNATURE_HEADER = "X-Reconcile-Signature"
TIMESTAMP_HEADER = "X-Reconcile-Timestamp"
DELIVERY_HEADER = "X-Reconcile-Delivery"
REPLAY_TOLERANCE_SECONDS = 300
TIMEOUT = (3.05, 5.0)


@dataclass(frozen=True)
class Outcome:
    """What one POST to one webhook came to."""

    ok: bool
    http_status: int | None
    error: str | None
    retryable: bool


def sign(secret: str, body: bytes) -> str:
    """Return the signature header value for body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str, now: float | None = None,
           tolerance: float = REPLAY_TOLERANCE_SECONDS) -> bool:
    """Check a delivery as a receiver should: the signature, then the signed timestamp."""
    if not hmac.compare_digest(sign(secret, body), signature or ""):
        return False
    try:
        sent_at = float(json.loads(body)["sent_at"])
    except (ValueError, KeyError, TypeError):
        return False
    return abs((time.time() if now is None else now) - sent_at) <= tolerance


def redact(url: str) -> str:
    """Return the URL with everything past the host hidden."""
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 - raises for a malformed host ("https://[x")
    except ValueError:
        return "(malformed URL)"
    return f"{parts.scheme}://{parts.hostname or '?'}{'/…' if parts.path.strip('/') else ''}"


def webhook_id(url: str) -> str:
    """Return a stable short name for a webhook that reveals nothing of its URL."""
    return hashlib.sha256(url.encode()).hexdigest()[:10]


def encode(payload: dict[str, Any], sent_at: float) -> bytes:
    """Serialise the payload with its signed timestamp."""
    return json.dumps({**payload, "sent_at": int(sent_at)}, default=str,
                      separators=(",", ":")).encode()


def post(url: str, payload: dict[str, Any], *, secret: str | None, delivery_id: str,
         session: requests.Session | None = None) -> Outcome:
    """POST the payload once; say whether it arrived and whether trying again could help."""
    sent_at = time.time()
    body = encode(payload, sent_at)
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(int(sent_at)),
               DELIVERY_HEADER: delivery_id, "User-Agent": "reconcile-alerts/1"}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    try:
        response = (session or requests).post(url, data=body, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as exc:
        # The exception text can quote the URL; keep only its kind.
        outcome = Outcome(False, None, type(exc).__name__, True)
    else:
        code = response.status_code
        if code < 300:
            outcome = Outcome(True, code, None, False)
        else:
            outcome = Outcome(False, code, f"HTTP {code}", code >= 500 or code in (408, 429))
    log.log(
        logging.INFO if outcome.ok else logging.WARNING,
        "Alert webhook delivered" if outcome.ok else "Alert webhook delivery failed",
        extra={"outcome": redact(url), "status": outcome.http_status,
               "error_code": outcome.error},
    )
    return outcome

"""The conventions every client needs, shown at the top of the OpenAPI document."""

GUIDE = """\
Checks what affiliates claim against what the platforms say.

**Auth.** `Authorization: Bearer <api_key>`. Missing, unknown, rotated or disabled key → 401
`AUTHENTICATION_REQUIRED`; a role the route does not list → 403 `FORBIDDEN`; a resource
the caller may not see → 404 `NOT_FOUND` (its existence is never revealed). Each
operation lists its roles (`x-roles`).

**Errors** are `application/problem+json` with `type`, `title`, `status`, `detail`, `code`;
422 `VALIDATION_ERROR` adds `errors: [{field, message}]`.

**Lists** take `?limit=` (1–500, default 50) and `?cursor=` (opaque; pass back the
`next_cursor` of the previous page) and answer `{"items": [...], "next_cursor": ...}`.
`next_cursor` is null on the last page. A bad limit or cursor → 422.

**Rate limits** are per key (counted per user, so rotating a key does not reset them),
over sliding windows shared by every API process: submissions per hour (a tenth for
affiliates in the critical trust bucket), re-run triggers per minute, everything else
per hour. Requests without a valid key are counted per client address. Every /api/v1
response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
(seconds until the oldest counted request leaves the window); over the limit → 429
`RATE_LIMITED` with `Retry-After`.

**Idempotency.** `POST /submissions` and `POST /submissions/message` honour an
`Idempotency-Key` header (1–200 printable ASCII characters, scoped to the caller): a
replay with the same body returns the first answer (status and body, with
`Idempotent-Replayed: true`) and creates nothing; the same key with another body → 422;
a replay while the first request still runs is answered at once with 409 `IN_PROGRESS`
and `Retry-After` (repeat it then for the first answer). Refusals (4xx) are replayed too;
a 503 frees the key so the request can be retried. Keys are remembered for 24 hours.

**Re-runs** (`POST /reconciliation/run`) dispatch attempt `attempt_count + 1` of each
report in scope at high priority. A post, campaign or platform means the latest report of
each post. Without `force`, reports whose reconciliation is terminal are skipped (listed
in `skipped`). Re-runs take the intake's pause and backpressure (503 `INTAKE_PAUSED` /
`OVERLOADED`) and have their own pool-wide limit of waiting re-runs (503 `OVERLOADED`
with `Retry-After`; one request larger than the limit → 422).

**Text** in bodies, query strings and paths may not hold control characters (C0 other than
tab and line breaks, DEL, C1): 422 naming the field.

**Trust.** A CLIENT reads the trust of the affiliates who posted in its campaigns (with
only its campaigns' ledger rows); any other affiliate → 404.

**Audit.** `GET /audit` (ADMIN, ANALYST) lists operator and system actions with who,
when, what, before and after.

**Alerts.** Resolving an alert already resolved → 409 `ALERT_ALREADY_RESOLVED`.
"""

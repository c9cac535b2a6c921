"""Write side: what comes in (submissions, idempotency keys, the intake switch, quotas)."""

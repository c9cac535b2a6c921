"""Per-key request quotas: which limit applies to a caller for a kind of request."""

from __future__ import annotations

from reconcile.rules import RateLimitRules, TrustRules, bucket_for
from reconcile.services.principal import Principal
from reconcile.vocabulary import Role

WINDOW_SECONDS = {"submissions": 3600, "reruns": 60, "default": 3600}


def limit_for(kind: str, rules: RateLimitRules, trust_bucket: str | None = None) -> int:
    """Return the allowance per window; the critical trust bucket gets a fraction of
    the submission allowance."""
    if kind == "submissions":
        limit = rules.submissions_per_hour
        if trust_bucket == "critical":
            limit = max(1, limit // max(1, rules.critical_divisor))
        return limit
    if kind == "reruns":
        return rules.reruns_per_minute
    return rules.default_per_hour


def trust_bucket(principal: Principal, trust: TrustRules) -> str | None:
    """Return an affiliate's trust bucket (None for other roles), from the score read when
    the caller was authenticated."""
    if principal.role != Role.AFFILIATE or principal.trust_score is None:
        return None
    return bucket_for(principal.trust_score, trust)

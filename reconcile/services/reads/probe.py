"""Show what a platform adapter sees for one post URL (no breaker, no retries, no writes)."""

from __future__ import annotations

from typing import Any

from reconcile.bootstrap import active_rules
from reconcile.errors import ValidationFailed
from reconcile.platforms import InvalidPostUrl, get_adapter, normalise


def probe(platform: str, url: str) -> dict[str, Any]:
    """Normalise the URL and ask the adapter once; return what came back."""
    try:
        found = normalise(platform, url)
    except InvalidPostUrl as exc:
        raise ValidationFailed([{"field": "url", "message": str(exc)}]) from None
    adapter = get_adapter(platform, timeout=active_rules().fetch.timeout_seconds)
    result = adapter.fetch(found.post_id)
    seen: dict[str, Any] = {"platform": platform, "url": found.canonical_url,
                            "post_id": found.post_id}
    if result.missing_reason is not None:
        seen.update(metrics=None, missing_reason=result.missing_reason,
                    retry_after=result.retry_after)
    else:
        seen.update(metrics=result.counts(), author=result.author,
                    published_at=result.published_at.isoformat() if result.published_at
                    else None, caption=result.caption, missing_reason=None)
    return seen

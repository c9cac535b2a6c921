"""The trust bucket rule in SQL: the same inclusive thresholds as rules.bucket_for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, case, literal

from reconcile.rules.ruleset import TrustRules
from reconcile.rules.trust import BUCKETS


def bucket_case(score: Any, rules: TrustRules,
                then: Callable[[str], Any] = literal) -> ColumnElement[Any]:
    """A CASE giving then(bucket) for the bucket `score` falls in (highest bucket first)."""
    *thresholded, lowest = BUCKETS
    return case(*((score >= rules.buckets[name], then(name)) for name in thresholded),
                else_=then(lowest))

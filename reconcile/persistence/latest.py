"""Which report of a post counts: its newest one (an update supersedes the earlier claim)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists
from sqlalchemy.orm import aliased

from reconcile.persistence.models import Report


def is_latest_report() -> ColumnElement[bool]:
    """A WHERE clause true for the Report in the query when no newer report of its post exists.

    Correlated on Report.post_id: one probe of the (post_id, id) index (migration 0013) per
    candidate row, however many reports the table holds.
    """
    newer = aliased(Report)
    return ~exists().where(newer.post_id == Report.post_id, newer.id > Report.id)

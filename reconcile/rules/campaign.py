"""When a campaign takes claims: new posts and new metrics for existing ones alike."""

from __future__ import annotations

from datetime import date

ACTIVE = "ACTIVE"


def closed_reason(status: str, start_date: date | None, end_date: date | None,
                  today: date) -> str | None:
    """Say why the campaign takes no claims today, or None when it takes them.

    Both dates are inclusive: a campaign running 1-31 May takes claims on the 1st and the 31st.
    """
    if status != ACTIVE:
        return f"is {status.lower()}"
    if start_date is not None and today < start_date:
        return f"starts on {start_date.isoformat()}"
    if end_date is not None and today > end_date:
        return f"ended on {end_date.isoformat()}"
    return None

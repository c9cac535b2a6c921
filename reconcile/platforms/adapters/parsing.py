"""Read untrusted platform answers strictly: any surprise is an InvalidResponse."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

MAX_COUNT = 10**15
# Longer than any retry window: the retry policy caps it further (rules.retry.capped_wait).
MAX_RETRY_AFTER = 7 * 24 * 3600.0
_DIGITS = re.compile(r"[0-9]{1,16}")


class InvalidResponse(ValueError):
    """A platform answer that is not the shape its API promises."""


def obj(value: Any, where: str) -> dict[str, Any]:
    """Return value if it is a JSON object."""
    if not isinstance(value, dict):
        raise InvalidResponse(f"{where} is not an object")
    return value


def array(value: Any, where: str) -> list[Any]:
    """Return value if it is a JSON array."""
    if not isinstance(value, list):
        raise InvalidResponse(f"{where} is not an array")
    return value


def post_id(value: Any, where: str) -> str:
    """Return an id given as a string (or, leniently, as an integer)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidResponse(f"{where} has no usable id")
    return str(value)


def count(value: Any, where: str) -> int | None:
    """Return a non-negative count given as an integer or a decimal string; None if absent."""
    if value is None:
        return None
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidResponse(f"{where} is not a non-negative integer")
    return value


MAX_TEXT = 10_000


def text(value: Any, where: str) -> str | None:
    """Return a string field (cut to MAX_TEXT characters); None if absent."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidResponse(f"{where} is not a string")
    return value[:MAX_TEXT]


def timestamp(value: Any, where: str) -> datetime | None:
    """Return an aware UTC time from an ISO 8601 string or Unix seconds; None if absent."""
    if value is None:
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            # Instagram writes "+0000", which fromisoformat reads from Python 3.11 on.
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise InvalidResponse(f"{where} is not a time")


def joined(*parts: str | None) -> str | None:
    """Join the non-empty parts of a post's text (title and description) with a blank line."""
    kept = [p for p in parts if p]
    return "\n\n".join(kept) if kept else None


def retry_after_seconds(header: str | None, now: float | None = None) -> float | None:
    """Parse Retry-After (delta seconds or an HTTP date) into seconds from now, at most
    MAX_RETRY_AFTER (a platform may send any number; "99999999999999" must not overflow)."""
    if not header:
        return None
    header = header.strip()
    if re.fullmatch(r"[0-9]{1,32}(\.[0-9]{1,32})?", header):
        return min(float(header), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are always UTC
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, when.timestamp() - (time.time() if now is None else now)),
               MAX_RETRY_AFTER)

"""List responses: `{"items", "next_cursor"}` with an opaque cursor (base64 of the last key).

Services take `after` (the last key the caller saw) and `limit`; views ask for one item
more than the page holds, so the extra item tells whether there is a next page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from reconcile.errors import ValidationFailed

_BAD = [{"field": "cursor", "message": "not a cursor this list returned"}]


def encode_cursor(key: int | str) -> str:
    raw = json.dumps([key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: type[int] | type[str] = int) -> Any:
    """Return the key inside `cursor` (None for no cursor); 422 for anything else."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationFailed(_BAD) from None
    if not (isinstance(value, list) and len(value) == 1):
        raise ValidationFailed(_BAD)
    key = value[0]
    if type(key) is not kind or (isinstance(key, int) and not 0 <= key <= 2**63):
        raise ValidationFailed(_BAD)
    return key


def page(rows: Sequence[dict[str, Any]], limit: int, key: str, **extra: Any) -> dict[str, Any]:
    """Cut `rows` (fetched with limit + 1) to a page and say where the next one starts."""
    items = list(rows[:limit])
    more = len(rows) > limit and items
    return {"items": items, "next_cursor": encode_cursor(items[-1][key]) if more else None,
            **extra}


def page_of_all(
    rows: Sequence[dict[str, Any]], limit: int, cursor: str | None, key: str
) -> dict[str, Any]:
    """Page a short, fully loaded list already sorted ascending by `key`."""
    after = decode_cursor(cursor, type(rows[0][key]) if rows else str)
    remaining = [r for r in rows if after is None or r[key] > after]
    return page(remaining[: limit + 1], limit, key)

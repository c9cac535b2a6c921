"""Which characters stored text may hold: the one rule every way in applies.

PostgreSQL refuses NUL in any text column, and the other control characters (C0 other than
tab, line feed and carriage return; DEL; C1) have no business in a title, a note or a name:
they hide text in logs and terminals and break CSV and JSON consumers. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# Tab, line feed and carriage return stay allowed: notes and evidence may span lines.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MESSAGE = "must not contain control characters"


def has_control(text: str) -> bool:
    """Tell whether text holds a character stored text may not hold."""
    return CONTROL.search(text) is not None


def control_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield the path of every string inside value (keys included) that has_control."""
    if isinstance(value, str):
        if has_control(value):
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and has_control(key):
                yield (*path, key)
            yield from control_paths(item, (*path, key))
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from control_paths(item, (*path, index))


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Return a text cell a spreadsheet will show as text, never run as a formula.

    A leading apostrophe is what spreadsheets themselves use to mark text; numbers are left
    alone (a negative number is data, not a formula), so only text is prefixed.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

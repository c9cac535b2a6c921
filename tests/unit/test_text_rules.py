"""The text rules: which characters stored text may hold, and spreadsheet-safe cells."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.text import control_paths, has_control, spreadsheet_safe


@pytest.mark.parametrize(("text", "refused"), [
    ("plain", False), ("tab\tand\nlines\r\n", False), ("é ü 漢字 🙂", False),
    ("nul\x00", True), ("\x01", True), ("\x1b[2J", True), ("\x7f", True), ("\x9f", True),
    ("\x0b", True), ("\x0c", True),
])
def test_control_characters_are_refused_but_tabs_and_line_breaks_are_not(
    text: str, refused: bool
) -> None:
    assert has_control(text) is refused


def test_control_paths_name_every_bad_string_in_nested_data() -> None:
    data = {"a": "ok", "b": ["x", "y\x00"], "c": {"d\x01": 1, "e": ("\x02",)}}

    assert sorted(map(str, control_paths(data))) == sorted(map(str, [
        ("b", 1), ("c", "d\x01"), ("c", "e", 0)]))


@pytest.mark.parametrize(("cell", "shown"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("plain", "plain"), ("a=b", "a=b"), (-1, -1), (0.5, 0.5), (None, None),
])
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_apostrophe(cell: object,
                                                                   shown: object) -> None:
    assert spreadsheet_safe(cell) == shown


@given(st.text())
def test_a_safe_cell_never_starts_a_formula(text: str) -> None:
    safe = spreadsheet_safe(text)

    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe in (text, "'" + text)

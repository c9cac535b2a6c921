"""The case table of docs/fraud.md, read once when the tests are collected."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "fraud.md"
_ROW = re.compile(r"^\| (\d+) \| (\w+) \| `([^`]*)` \| ([^|]+) \| ([^|]+) \| (yes|no) \|$")


@dataclass(frozen=True)
class Case:
    number: int
    rule: str
    inputs: dict[str, str | None]
    flag: str | None
    alert: str | None
    hold: bool

    @property
    def id(self) -> str:
        return f"row {self.number} {self.rule}"


def _inputs(cell: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for pair in cell.split("; "):
        key, _, value = pair.partition("=")
        text = shlex.split(value)[0] if value.startswith('"') else value
        found[key] = None if text == "-" else text
    return found


def _cell(text: str) -> str | None:
    text = text.strip()
    return None if text == "—" else text


def cases() -> list[Case]:
    """Every row of the table under "The rules, case by case"."""
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line.strip())
        if match:
            n, rule, inputs, flag, alert, hold = match.groups()
            rows.append(Case(int(n), rule, _inputs(inputs), _cell(flag), _cell(alert),
                             hold == "yes"))
    return rows

"""docs/earnings.md's worked table, row by row, on the real path (earnings_help.Scene)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.earnings_help import (
    SPLIT,
    Scene,
    balances_of,
    card_body,
    entries_of,
    worked_table,
)

ROWS = worked_table()


def test_the_worked_table_covers_every_rate_card_shape_and_event() -> None:
    cards = " ".join(r["rate card"] for r in ROWS)
    events = " ".join(r["events"] for r in ROWS)
    for shape in ("cpm_minor", "cpc_minor", "cpa_minor", "cpa_percent", "flat_minor",
                  "milestones", "cap_per_post_minor", "budget_minor"):
        assert shape in cards
    for event in ("update", "reverse", "takedown", "fraud", "resolve", "anomaly", "reject",
                  "approve", "payout"):
        assert event in events


@pytest.mark.network("127.0.0.1", "localhost")
@pytest.mark.parametrize("row", ROWS, ids=[r["case"] for r in ROWS])
def test_each_worked_row_writes_the_entries_and_balances_it_says(
    row: dict[str, str], client: Any, world: Any, sim: Any, dispatched: Any,
) -> None:
    scene = Scene(client, world, sim)
    scene.start(card_body(row["rate card"]))
    for event in SPLIT.split(row["events"]):
        scene.run(event)

    written = [(e.kind, e.amount_minor, e.status) for e in scene.entries()]
    assert written == entries_of(row["entries"])
    assert all(isinstance(e.amount_minor, int) for e in scene.entries())
    r = client.get(f"/api/v1/affiliates/{scene.affiliate['id']}/earnings",
                   headers=world.auth(scene.affiliate))
    assert r.status_code == 200, r.get_json()
    [balance] = r.get_json()["balances"] or [{"currency": "USD", **balances_of("")}]
    assert balance == {"currency": "USD", **balances_of(row["balances"])}

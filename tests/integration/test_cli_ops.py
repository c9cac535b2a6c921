"""Operator commands: fetch, rereconcile, export, risk-summary, and their error paths."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconcile.cli import main
from reconcile.services.intake.submissions import Claim, submit, update_metrics
from reconcile.services.principal import Principal
from reconcile.services.tracking.counts import has_tracked_link
from tests.conftest import unique_video_id


def _run(*argv: str) -> Any:
    return CliRunner().invoke(main, list(argv))


def _submit(world: Any, platform: str = "youtube") -> dict[str, Any]:
    principal = Principal(user_id=world.affiliate["id"], role="AFFILIATE")
    return submit(principal, campaign_id=world.campaign_id, platform=platform,
                  url=f"https://youtu.be/{unique_video_id()}", claim=Claim(100, 10, 1))


def test_fetch_prints_the_normalised_url_post_id_and_the_metrics_the_adapter_sees(
    sim: Any
) -> None:
    vid = unique_video_id()
    sim.post("youtube", f"https://www.youtube.com/watch?v={vid}", 1234, likes=56, comments=7,
             author="ana", published_at="2026-11-20T10:30:00Z", caption="Hi")

    result = _run("fetch", "youtube", f"https://youtu.be/{vid}?si=tracking")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "platform": "youtube", "url": f"https://www.youtube.com/watch?v={vid}",
        "post_id": vid, "missing_reason": None,
        # YouTube has no share or link-click counts
        "metrics": {"views": 1234, "likes": 56, "comments": 7, "shares": None,
                    "link_clicks": None},
        "author": "ana", "published_at": "2026-11-20T10:30:00+00:00", "caption": "Hi",
    }


def test_fetch_of_a_post_the_platform_does_not_know_prints_the_missing_reason(
    sim: Any
) -> None:
    sim.fault("x", "not_found", count=1)

    result = _run("fetch", "x", f"https://x.com/someone/status/{uuid.uuid4().int % 10**18}")

    assert result.exit_code == 0, result.output
    seen = json.loads(result.stdout)
    assert seen["metrics"] is None and seen["missing_reason"] == "not_found"


def test_rereconcile_sends_the_latest_report_of_each_post_at_low_priority(
    world: Any, dispatched: Any
) -> None:
    first, second = _submit(world), _submit(world)
    principal = Principal(user_id=world.affiliate["id"], role="AFFILIATE")
    newer = update_metrics(principal, second["post_id"], Claim(200, 20, 2),
                           has_link=has_tracked_link)
    dispatched.sent.clear()

    result = _run("rereconcile", "--campaign", str(world.campaign_id))

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "dispatched 2 of 2 report(s) at low priority"
    assert sorted((r, n, kw["priority"], kw["trigger"]) for r, n, kw in dispatched.sent) == [
        (first["report_id"], 1, "low", "rerun"), (newer["report_id"], 1, "low", "rerun"),
    ]


def test_rereconcile_by_status_selects_only_reports_in_that_status(
    world: Any, dispatched: Any
) -> None:
    _submit(world)
    dispatched.sent.clear()

    result = _run("rereconcile", "--campaign", str(world.campaign_id), "--status", "matched")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "dispatched 0 of 0 report(s) at low priority"
    assert dispatched.sent == []


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_writes_every_table_since_the_date(
    world: Any, dispatched: Any, tmp_path: Path, fmt: str
) -> None:
    from datetime import UTC, datetime

    report_id = _submit(world)["report_id"]
    out = tmp_path / ("export.jsonl" if fmt == "jsonl" else "export")
    today = datetime.now(UTC).strftime("%Y-%m-%d")

    result = _run("export", "--since", today, "--format", fmt, "--out", str(out))

    assert result.exit_code == 0, result.output
    total = int(result.stdout.split()[1])
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(rows) == total
        assert {"reports", "attempts", "snapshots", "trust_ledger", "alerts", "earnings"} >= {
            r["table"] for r in rows}
        mine = [r for r in rows if r["table"] == "reports" and r["id"] == report_id]
    else:
        names = sorted(p.name for p in out.iterdir())
        assert names == sorted(f"{t}.csv" for t in
                               ("reports", "attempts", "snapshots", "trust_ledger", "alerts",
                                "earnings"))
        tables = {p.stem: list(csv.DictReader(p.open())) for p in out.iterdir()}
        assert sum(len(rows) for rows in tables.values()) == total
        mine = [r for r in tables["reports"] if r["id"] == str(report_id)]
    assert len(mine) == 1 and str(mine[0]["claimed_views"]) == "100"


def test_risk_summary_prints_open_alerts_by_severity(stack: dict[str, str]) -> None:
    result = _run("risk-summary")

    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)["open_alerts_by_severity"]) == {
        "CRITICAL", "HIGH", "MEDIUM", "LOW"}


BAD = [
    (["fetch", "youtube", "https://example.com/watch?v=abc"], 1),
    (["fetch", "myspace", "https://myspace.com/x"], 2),
    (["fetch", "youtube"], 2),
    (["rereconcile"], 1),
    (["rereconcile", "--status", "NOPE"], 1),
    (["rereconcile", "--campaign", "987654321"], 1),
    (["rereconcile", "--platform", "youtube", "--since", "yesterday"], 2),
    (["export", "--since", "2024-01-01", "--format", "xml", "--out", "{tmp}/x"], 2),
    (["export", "--format", "jsonl", "--out", "{tmp}/x.jsonl"], 2),
    (["export", "--since", "2024-01-01", "--format", "jsonl", "--out", "{tmp}/no/x.jsonl"], 1),
    (["export", "--since", "2024-01-01", "--format", "jsonl", "--out", "{tmp}/exists"], 1),
    (["export", "--since", "2024-01-01", "--format", "csv", "--out", "{tmp}/exists"], 1),
    (["rules", "simulate", "{tmp}/no-such.toml"], 1),
    (["rules", "simulate", "{tmp}/exists", "--sample", "0"], 2),
    (["backup", "{tmp}/no/backup.dump"], 1),
    (["backup", "{tmp}/exists"], 1),
    (["restore", "{tmp}/no-such.dump"], 1),
    (["restore", "{tmp}/exists"], 1),
]


@pytest.mark.parametrize(("argv", "code"), BAD, ids=[" ".join(a[:3]) for a, _ in BAD])
def test_bad_input_prints_one_line_and_exits_non_zero(
    stack: dict[str, str], tmp_path: Path, argv: list[str], code: int
) -> None:
    (tmp_path / "exists").write_text("not a backup, not rules\n")

    result = _run(*[a.replace("{tmp}", str(tmp_path)) for a in argv])

    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr


@pytest.mark.parametrize("evidence", ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3",
                                      "@SUM(A1)", "\t=1", "\r=1"])
def test_export_csv_neutralises_text_a_spreadsheet_would_run(
    world: Any, dispatched: Any, tmp_path: Path, evidence: str
) -> None:
    from datetime import UTC, datetime

    principal = Principal(user_id=world.affiliate["id"], role="AFFILIATE")
    accepted = submit(principal, campaign_id=world.campaign_id, platform="youtube",
                      url=f"https://youtu.be/{unique_video_id()}",
                      claim=Claim(100, 10, 1, evidence=evidence))
    out = tmp_path / "export"

    result = _run("export", "--since", datetime.now(UTC).strftime("%Y-%m-%d"),
                  "--format", "csv", "--out", str(out))

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "reports.csv").open(newline="")))
    mine = next(r for r in rows if r["id"] == str(accepted["report_id"]))
    assert mine["evidence"] == "'" + evidence
    assert mine["claimed_views"] == "100"  # numbers stay numbers

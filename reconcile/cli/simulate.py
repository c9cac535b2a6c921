"""`reconcile rules simulate`: try candidate rules on past attempts before applying them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from reconcile.cli.common import friendly, print_json
from reconcile.cli.rules import rules
from reconcile.cli.usage import OneLineCommand

DATES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


@rules.command("simulate", cls=OneLineCommand)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--sample", default=1000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="How many of the newest attempts with platform data to re-classify.")
@click.option("--since", type=click.DateTime(DATES), default=None,
              help="Only attempts of reports submitted since this date (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@friendly
def rules_simulate(path: str, sample: int, since: datetime | None, as_json: bool) -> None:
    """Compare status and trust outcomes of the rules in PATH with the rules in force."""
    from reconcile.bootstrap import active_rules
    from reconcile.rules import load_rules
    from reconcile.services.admin.rules_whatif import simulate

    candidate = load_rules(path)
    result = simulate(candidate, active_rules(), sample,
                      since.replace(tzinfo=UTC) if since else None)
    if as_json:
        print_json(result)
    else:
        _print_tables(result)


def _print_tables(r: dict[str, Any]) -> None:
    cur, cand = r["current"], r["candidate"]
    click.echo(f"{r['sample']} attempt(s) re-classified; {r['changed']} change status")
    statuses = sorted(set(cur["statuses"]) | set(cand["statuses"]))
    _table(["status", f"current {cur['version']}", f"candidate {cand['version']}", "shift"],
           [[s, cur["statuses"].get(s, 0), cand["statuses"].get(s, 0),
             f"{cand['statuses'].get(s, 0) - cur['statuses'].get(s, 0):+d}"] for s in statuses])
    buckets = [b for b in ("high_trust", "normal", "low_trust", "critical")
               if b in cur["trust_by_bucket"] or b in cand["trust_by_bucket"]]
    none = {"affiliates": 0, "delta": 0.0}
    _table(["bucket", "affiliates", "current trust delta", "candidate trust delta"],
           [[b, cur["trust_by_bucket"].get(b, none)["affiliates"],
             f"{cur['trust_by_bucket'].get(b, none)['delta']:+.4f}",
             f"{cand['trust_by_bucket'].get(b, none)['delta']:+.4f}"] for b in buckets])
    for t in r["transitions"]:
        click.echo(f"  {t['from']} -> {t['to']}: {t['count']}")
    a = r["anomalies"]
    click.echo(f"\n{a['readings']} reading(s) checked for VIEW_ANOMALY alerts")
    _table(["anomaly rule", "current alerts", "candidate alerts", "shift"],
           [[k, a["current"][k], a["candidate"][k],
             f"{a['candidate'][k] - a['current'][k]:+d}"] for k in a["current"]])


def _table(head: list[str], rows: list[list[Any]]) -> None:
    cells = [head] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    click.echo("")
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())

"""Slack-compatible webhook bodies: `text` for any chat tool, `blocks` for Slack, and the
data itself under a key of its own for machines."""

from __future__ import annotations

from typing import Any

_ICONS = {"CRITICAL": ":red_circle:", "HIGH": ":large_orange_circle:",
          "MEDIUM": ":large_yellow_circle:", "LOW": ":white_circle:"}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def alert_message(alert: dict[str, Any]) -> dict[str, Any]:
    """Build the body announcing one alert."""
    where = ", ".join(
        f"{label} {alert[key]}" for key, label in
        (("affiliate_id", "affiliate"), ("platform", "platform"), ("report_id", "report"))
        if alert.get(key) is not None
    )
    text = f"[{alert['severity']}] {alert['title']} ({alert['type']}, alert {alert['id']})"
    return {
        "kind": "alert",
        "text": text,
        "blocks": [
            _section(f"{_ICONS.get(alert['severity'], '')} *{alert['title']}*".strip()),
            _section(f"{alert['message']}\n_{alert['type']} / {alert['category']} / "
                     f"{alert['severity']}{' · ' + where if where else ''}_"),
        ],
        "alert": alert,
    }


def digest_message(window_end: str, groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Build the body folding the alerts held back by the storm cap in one window."""
    total = sum(g["count"] for g in groups)
    lines = [
        f"• {g['count']} × {g['type']} (highest {g['max_severity']})"
        + (f" for affiliate {g['affiliate_id']}" if g["affiliate_id"] is not None else "")
        for g in groups
    ]
    text = f"Alert digest: {total} more alert(s) held back by the storm cap until {window_end}"
    return {
        "kind": "digest",
        "text": text,
        "blocks": [_section(f"*{text}*"), _section("\n".join(lines))],
        "digest": {"window_end": window_end, "total": total, "groups": groups},
    }


def summary_message(summary: dict[str, Any]) -> dict[str, Any]:
    """Build the daily risk summary's body."""
    by_sev = summary["open_alerts_by_severity"]
    entered = summary["affiliates_entered"]
    outages = summary["platform_outages"]
    lines = [
        "*Open alerts*: " + (", ".join(f"{s} {n}" for s, n in by_sev.items() if n) or "none"),
        f"*Entered low_trust*: {_ids(entered['low_trust'])}",
        f"*Entered critical*: {_ids(entered['critical'])}",
        "*Platform outages*: " + (", ".join(o["platform"] for o in outages) or "none"),
        "*Held earnings*: " + (", ".join(
            f"{h['held_minor']} {h['currency']} (minor units) on {h['posts']} post(s)"
            for h in summary.get("held_earnings", [])) or "none"),
    ]
    text = (f"Daily risk summary ({summary['since']} to {summary['until']}): "
            f"{sum(by_sev.values())} open alert(s)")
    return {
        "kind": "risk_summary",
        "text": text,
        "blocks": [_section(f"*{text}*"), _section("\n".join(lines))],
        "summary": summary,
    }


def _ids(values: list[int]) -> str:
    return ", ".join(f"affiliate {v}" for v in values) if values else "none"

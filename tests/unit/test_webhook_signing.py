"""Webhook bodies, signatures, redaction and the storm window, without any I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from reconcile.services.alerts.deliver import window_end
from reconcile.services.alerts.messages import alert_message, digest_message, summary_message
from reconcile.webhooks import encode, redact, sign, verify, webhook_id

SECRET = "s3cret"
NOW = 1_800_000_000.0


def _body(sent_at: float = NOW) -> bytes:
    return encode({"kind": "alert", "text": "hi"}, sent_at)


def test_a_signature_over_the_raw_body_verifies() -> None:
    body = _body()
    assert sign(SECRET, body).startswith("sha256=")
    assert verify(SECRET, body, sign(SECRET, body), now=NOW + 10)


@pytest.mark.parametrize("tamper", ["body", "secret", "header"])
def test_a_changed_body_secret_or_signature_does_not_verify(tamper: str) -> None:
    body = _body()
    signature = sign(SECRET, body)
    if tamper == "body":
        body = body.replace(b"hi", b"ho")
    elif tamper == "secret":
        signature = sign("other", body)
    else:
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert not verify(SECRET, body, signature, now=NOW)


@pytest.mark.parametrize(("age", "fresh"), [(0, True), (299, True), (301, False), (-301, False)])
def test_a_replayed_delivery_older_than_five_minutes_is_rejected(age: int, fresh: bool) -> None:
    body = _body(NOW)
    assert verify(SECRET, body, sign(SECRET, body), now=NOW + age) is fresh


def test_the_signed_body_carries_its_timestamp() -> None:
    assert json.loads(_body(NOW))["sent_at"] == int(NOW)


@pytest.mark.parametrize(("url", "shown"), [
    ("https://hooks.slack.com/services/T0/B0/XXXX", "https://hooks.slack.com/…"),
    ("http://127.0.0.1:9000/", "http://127.0.0.1"),
    ("https://user:pw@example.com/hook?token=abc", "https://example.com/…"),
    ("https://[x/secret-path", "(malformed URL)"),  # never a crash while logging a delivery
])
def test_a_webhook_url_is_shown_only_up_to_its_host(url: str, shown: str) -> None:
    assert redact(url) == shown
    assert webhook_id(url) == webhook_id(url) and "XXXX" not in webhook_id(url)


@pytest.mark.parametrize(("created", "minutes", "end"), [
    ("2026-01-01T10:00:00", 60, "2026-01-01T11:00:00"),
    ("2026-01-01T10:59:59", 60, "2026-01-01T11:00:00"),
    ("2026-01-01T10:07:00", 15, "2026-01-01T10:15:00"),
])
def test_the_storm_window_is_fixed_and_aligned(created: str, minutes: int, end: str) -> None:
    got = window_end(datetime.fromisoformat(created).replace(tzinfo=UTC), minutes)
    assert got == datetime.fromisoformat(end).replace(tzinfo=UTC)
    assert window_end(got - timedelta(seconds=1), minutes) == got


def test_the_backoff_doubles_from_two_seconds() -> None:
    from tasks.alerts import MAX_TRIES, backoff

    assert [backoff(n) for n in range(MAX_TRIES - 1)] == [2.0, 4.0, 8.0, 16.0]


ALERT = {"id": 7, "type": "HIGH_DISCREPANCY", "category": "FRAUD", "severity": "CRITICAL",
         "title": "Overclaim", "message": "views 80% over", "affiliate_id": 3,
         "platform": "x", "report_id": 9}


def test_an_alert_message_is_slack_compatible_and_carries_the_alert() -> None:
    msg = alert_message(ALERT)
    assert msg["text"] == "[CRITICAL] Overclaim (HIGH_DISCREPANCY, alert 7)"
    assert all(b["type"] == "section" for b in msg["blocks"])
    assert "affiliate 3" in msg["blocks"][1]["text"]["text"]
    assert msg["alert"] == ALERT


def test_a_digest_counts_the_folded_alerts() -> None:
    groups = [{"type": "HIGH_DISCREPANCY", "affiliate_id": 3, "count": 4,
               "alert_ids": [1, 2, 3, 4], "max_severity": "HIGH"}]
    msg = digest_message("2026-01-01T11:00:00+00:00", groups)
    assert msg["digest"]["total"] == 4 and "4 more alert(s)" in msg["text"]


def test_a_summary_lists_risky_affiliates_and_outages() -> None:
    msg = summary_message({
        "since": "a", "until": "b",
        "open_alerts_by_severity": {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 0, "LOW": 0},
        "affiliates_entered": {"low_trust": [5], "critical": []},
        "platform_outages": [{"platform": "tiktok", "alerts": 1, "first_at": "t"}],
    })
    text = msg["blocks"][1]["text"]["text"]
    assert "CRITICAL 1, HIGH 2" in text and "affiliate 5" in text and "tiktok" in text
    assert "3 open alert(s)" in msg["text"]

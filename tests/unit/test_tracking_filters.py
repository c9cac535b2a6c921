"""Which clicks count and how postbacks are classified (truth.md, Tracked links and
Conversion postbacks), as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.views.redirect import with_click
from reconcile.services.tracking import filters
from reconcile.services.tracking.currencies import is_currency
from reconcile.services.tracking.postback_secrets import signature, unsigned_query
from reconcile.services.tracking.postbacks import status_of

BROWSER = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
           "(KHTML, like Gecko) Version/17.5 Safari/605.1.15")


@pytest.mark.parametrize(("method", "agent", "headers", "reason"), [
    ("GET", BROWSER, {}, None),
    ("HEAD", BROWSER, {}, "head_request"),
    ("GET", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", {}, "bot"),
    ("GET", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", {},
     "bot"),
    ("GET", "Twitterbot/1.0", {}, "bot"),
    ("GET", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", {}, "bot"),
    ("GET", "WhatsApp/2.23.20.0", {}, "bot"),
    ("GET", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", {},
     "bot"),
    ("GET", "TelegramBot (like TwitterBot)", {}, "bot"),
    ("GET", "LinkedInBot/1.0", {}, "bot"),
    ("GET", "", {}, "bot"),
    ("GET", None, {}, "bot"),
    ("GET", "curl/8.5.0", {}, "bot"),
    ("GET", BROWSER, {"Sec-Purpose": "prefetch;prerender"}, "bot"),
    ("GET", BROWSER, {"Purpose": "prefetch"}, "bot"),
    ("GET", BROWSER, {"X-Moz": "prefetch"}, "bot"),
    ("GET", BROWSER, {"Accept-Language": "en"}, None),
])
def test_a_request_is_filtered_for_what_it_shows(method, agent, headers, reason):
    assert filters.request_reason(method, agent, headers) == reason


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "client"), [
    ("203.0.113.7", None, [], "203.0.113.7"),
    ("203.0.113.7", "198.51.100.1", [], "203.0.113.7"),  # untrusted peer: header ignored
    ("10.0.0.2", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
    ("10.0.0.2", "1.2.3.4, 198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),  # right-most hop
    ("10.0.0.2", "198.51.100.1, 10.0.0.9", ["10.0.0.0/8"], "198.51.100.1"),
    ("10.0.0.2", "198.51.100.1", ["10.0.0.3"], "10.0.0.2"),
])
def test_the_client_address_trusts_forwarded_for_only_from_a_listed_proxy(peer, forwarded,
                                                                          trusted, client):
    assert filters.client_address(peer, forwarded, trusted) == client


@given(st.ip_addresses().map(str))
def test_the_visitor_hash_is_keyed_and_never_holds_the_address(address):
    one, other = filters.visitor_hash(b"k1", address), filters.visitor_hash(b"k2", address)
    assert one != other and address not in one and len(one) == 64
    assert one == filters.visitor_hash(b"k1", address)


@pytest.mark.parametrize(("landing", "expected"), [
    ("https://shop.example.com/", "https://shop.example.com/?rc_click=abc"),
    ("https://shop.example.com/p?utm=x&a=1", "https://shop.example.com/p?utm=x&a=1&rc_click=abc"),
    ("https://shop.example.com/p?rc_click=old", "https://shop.example.com/p?rc_click=abc"),
    ("http://shop.example.com/p#top", "http://shop.example.com/p?rc_click=abc#top"),
])
def test_the_redirect_adds_the_click_id_to_the_landing_query(landing, expected):
    assert with_click(landing, "abc") == expected


CLICK = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(("counted", "occurred", "window", "status"), [
    (True, CLICK + timedelta(minutes=5), 30, "counted"),
    (True, CLICK + timedelta(days=30), 30, "counted"),
    (True, CLICK + timedelta(days=30, seconds=1), 30, "outside_window"),
    (True, CLICK + timedelta(days=2), 1, "outside_window"),
    (True, CLICK - timedelta(seconds=1), 30, "outside_window"),  # before the click
    (False, CLICK + timedelta(minutes=5), 30, "filtered_click"),
])
def test_a_postback_status_follows_the_click_and_the_window(counted, occurred, window, status):
    assert status_of(counted, CLICK, occurred, window) == status


@pytest.mark.parametrize(("code", "ok"), [("USD", True), ("EUR", True), ("JPY", True),
                                          ("usd", False), ("XXX", False), ("ABC", False)])
def test_currencies_are_iso_4217_codes(code, ok):
    assert is_currency(code) is ok


def test_the_signed_text_is_the_query_as_received_without_sig():
    raw = "click_id=c1&event_id=order%2F7&amount_minor=1299&currency=EUR&sig=deadbeef"
    assert unsigned_query(raw) == "click_id=c1&event_id=order%2F7&amount_minor=1299&currency=EUR"
    assert unsigned_query("sig=ab&click_id=c1") == "click_id=c1"
    assert len(signature("s", "x")) == 64

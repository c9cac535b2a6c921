"""Which clicks count: the filter rules as plain functions (no Flask, no Redis).

A click is filtered, with a reason, when it is a HEAD request, when a crawler, link
previewer or prefetcher made it (`bot`), when the same visitor and user agent clicked the
same link within the dedupe window (`duplicate`, decided where the clicks are kept), or
when its campaign was not running (`campaign_inactive`, decided when it is written).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable
from typing import Any

HEAD_REQUEST, BOT, DUPLICATE, CAMPAIGN_INACTIVE = (
    "head_request", "bot", "duplicate", "campaign_inactive")
REASONS = (HEAD_REQUEST, BOT, DUPLICATE, CAMPAIGN_INACTIVE)
USER_AGENT_LENGTH = 256

# Crawlers, link previewers (chat apps unfurl a link by fetching it) and prefetchers.
# Matched against the lower-cased agent: re.IGNORECASE made this search 20 times slower
# (21 µs of every redirect's time; now about 1).
_BOTS = re.compile(
    r"bot\b|bot/|crawler|crawl|spider|slurp|facebookexternalhit|facebookcatalog|"
    r"slackbot|slack-imgproxy|twitterbot|discordbot|whatsapp|telegrambot|linkedinbot|"
    r"embedly|pinterest|skypeuripreview|redditbot|applebot|googlebot|bingbot|yandex|"
    r"baiduspider|duckduckbot|headlesschrome|phantomjs|preview|prefetch|"
    r"python-requests/|curl/|wget/|go-http-client|okhttp|axios/|node-fetch",
)
# Browsers announce speculative loads in these headers (Chrome: Sec-Purpose, older: Purpose;
# Firefox: X-Moz).
_PREFETCH_HEADERS = ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")
_PREFETCH_WORDS = ("prefetch", "preview", "prerender")


def is_bot(user_agent: str | None) -> bool:
    """Tell whether the user agent is a crawler, previewer or script (none at all counts)."""
    return not user_agent or not user_agent.strip() or bool(_BOTS.search(user_agent.lower()))


def is_prefetch(headers: Any) -> bool:
    for name in _PREFETCH_HEADERS:
        value = headers.get(name)
        if value and any(word in value.lower() for word in _PREFETCH_WORDS):
            return True
    return False


def request_reason(method: str, user_agent: str | None,
                   headers: Any) -> str | None:
    """The reason a click is filtered that the request alone shows, or None."""
    if method.upper() == "HEAD":
        return HEAD_REQUEST
    if is_bot(user_agent) or is_prefetch(headers):
        return BOT
    return None


def client_address(remote_addr: str | None, forwarded_for: str | None,
                   trusted_proxies: Iterable[str]) -> str:
    """The client's address: X-Forwarded-For's nearest untrusted hop when the request came
    through a trusted proxy, else the peer's address (a client can forge the header)."""
    peer = remote_addr or ""
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]
    if not forwarded_for or not _within(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):  # the right-most hop was added by our own proxy
        if not _within(hop, networks):
            return hop
    return hops[0] if hops else peer


def _within(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def visitor_hash(key: bytes, address: str) -> str:
    """A keyed hash of the client address (HMAC-SHA256): the address is never stored."""
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def truncated_agent(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    return "".join(c for c in user_agent if c.isprintable())[:USER_AGENT_LENGTH]

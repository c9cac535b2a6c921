"""The adapter interface: one HTTP call per chunk of post ids, every answer classified."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import requests
from requests.adapters import HTTPAdapter

from reconcile.platforms.adapters.parsing import InvalidResponse, retry_after_seconds

log = logging.getLogger("reconcile.platforms.fetcher")

FETCH_ERROR = "fetch_error"
TIMEOUT = "timeout"
RATE_LIMITED = "rate_limited"
AUTH_ERROR = "auth_error"
NOT_FOUND = "not_found"
INVALID_RESPONSE = "invalid_response"

POOL_SIZE = 20
# Connecting should be quick even when answering is slow; never wait longer than asked.
MAX_CONNECT_TIMEOUT = 3.05


# The counts an adapter reports, each exactly as the platform reports it (None: the platform
# has no such number, or left it out). Never clicks or conversions: no platform measures
# those for an advertiser; `link_clicks` is the platform's own link-click count where its
# API has one (x, instagram), used only when a campaign's clicks source is `platform`.
COUNTS = ("views", "likes", "comments", "shares", "link_clicks")


@dataclass(frozen=True)
class FetchResult:
    """What a platform said about one post; missing_reason is set only when it said nothing."""

    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    link_clicks: int | None = None
    author: str | None = None
    published_at: datetime | None = None
    caption: str | None = None
    missing_reason: str | None = None
    retry_after: float | None = None

    def counts(self) -> dict[str, int | None]:
        """Return the platform's counts by name."""
        return {name: getattr(self, name) for name in COUNTS}


@dataclass(frozen=True)
class Profile:
    """A platform account's public profile: its handle, display name and bio; or why the
    platform showed none."""

    handle: str | None = None
    name: str | None = None
    bio: str | None = None
    missing_reason: str | None = None


def failed(reason: str, retry_after: float | None = None) -> FetchResult:
    """Build the result of a fetch that yielded no metrics."""
    return FetchResult(missing_reason=reason, retry_after=retry_after)


def make_session(pool_size: int = POOL_SIZE) -> requests.Session:
    """Create a session with a connection pool and no automatic retries."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "reconcile/0.1 (metrics reconciliation)"
    return session


def classify_status(response: requests.Response) -> FetchResult | None:
    """Map a failed HTTP status to a result; None when the body should be read."""
    status = response.status_code
    if status < 400:
        return None
    if status == 429:
        return failed(RATE_LIMITED, retry_after_seconds(response.headers.get("Retry-After")))
    if status in (401, 403):
        return failed(AUTH_ERROR)
    if status == 404:
        return failed(NOT_FOUND)
    # 5xx, and any other 4xx: the call itself was refused, a failure of the platform call.
    return failed(FETCH_ERROR)


class PlatformAdapter(ABC):
    """Fetch what one platform reports about its posts: counts, author, time, caption."""

    name: ClassVar[str]
    batch_size: ClassVar[int]

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        timeout: float = 5.0,
        token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else make_session()
        self.timeout = (min(timeout, MAX_CONNECT_TIMEOUT), timeout)
        self.token = token

    def fetch(self, post_id: str) -> FetchResult:
        """Fetch one post."""
        return self.fetch_many([post_id])[post_id]

    def fetch_many(self, post_ids: Sequence[str]) -> dict[str, FetchResult]:
        """Fetch posts with one call per chunk of batch_size ids."""
        unique = list(dict.fromkeys(post_ids))
        results: dict[str, FetchResult] = {}
        for start in range(0, len(unique), self.batch_size):
            results.update(self._fetch_chunk(unique[start : start + self.batch_size]))
        return results

    def _fetch_chunk(self, ids: list[str]) -> dict[str, FetchResult]:
        try:
            response = self._request(ids)
        except requests.Timeout:
            return dict.fromkeys(ids, failed(TIMEOUT))
        except requests.RequestException:
            return dict.fromkeys(ids, failed(FETCH_ERROR))
        refused = classify_status(response)
        if refused is not None:
            return dict.fromkeys(ids, refused)
        try:
            found = self._parse(response.json(), ids)
        except (InvalidResponse, ValueError, RecursionError):
            # Not JSON, not the promised shape, or nested too deep to read
            # (`[[[[...]]]]` a few thousand levels deep).
            return dict.fromkeys(ids, failed(INVALID_RESPONSE))
        except Exception as exc:  # noqa: BLE001 - the body is untrusted: whatever it trips
            log.warning("Unreadable platform answer",  # in our parser, it is invalid
                        extra={"platform": self.name, "error_code": type(exc).__name__})
            return dict.fromkeys(ids, failed(INVALID_RESPONSE))
        return {i: found.get(i) or failed(NOT_FOUND) for i in ids}

    def fetch_profile(self, handle: str) -> Profile:
        """Read one account's profile (the bio a verification code is looked for in)."""
        try:
            response = self._profile_request(handle.strip().lstrip("@"))
        except requests.Timeout:
            return Profile(missing_reason=TIMEOUT)
        except requests.RequestException:
            return Profile(missing_reason=FETCH_ERROR)
        if self._profile_unknown(response):
            return Profile(missing_reason=NOT_FOUND)
        refused = classify_status(response)
        if refused is not None:
            return Profile(missing_reason=refused.missing_reason)
        try:
            found = self._parse_profile(response.json())
        except (InvalidResponse, ValueError, RecursionError):
            return Profile(missing_reason=INVALID_RESPONSE)
        return found if found is not None else Profile(missing_reason=NOT_FOUND)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _get(self, path: str, params: Mapping[str, str]) -> requests.Response:
        return self.session.get(
            self.base_url + path, params=params, headers=self._headers(), timeout=self.timeout
        )

    @abstractmethod
    def _request(self, ids: list[str]) -> requests.Response:
        """Send the one call that looks up these ids."""

    def _profile_unknown(self, response: requests.Response) -> bool:
        """Whether an error answer means "no such account" (a platform may say so with a
        status other than 404)."""
        return False

    @abstractmethod
    def _profile_request(self, handle: str) -> requests.Response:
        """Send the one call that reads this account's public profile."""

    @abstractmethod
    def _parse_profile(self, body: Any) -> Profile | None:
        """Map a successful profile body to a Profile (None: no such account)."""

    @abstractmethod
    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        """Map a successful body to results for the ids it mentions; raise InvalidResponse."""

"""The principals of recently seen API keys, kept a few seconds in this process.

Looking a key up costs a database round trip, on every request. A key seen a moment ago is
answered from here instead, as long as the revocation counter (accounts.AUTH_VERSION_KEY)
still holds the value read before the principal was: the rate limiter reads that counter
in the same Redis call that counts the request, so the check costs no extra round trip.
When Redis cannot be asked, the database answers, as before. The few seconds bound how
stale the trust score can be (it picks the affiliate's submission quota) and how long a
process can miss a revocation whose second move of the counter was lost.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from reconcile.security import hash_api_key
from reconcile.services.principal import Principal

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000  # far above the callers one process sees in TTL_SECONDS


@dataclass(frozen=True)
class Entry:
    principal: Principal
    version: bytes | None
    expires: float


class KeyCache:
    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(hash_api_key(key))
        return entry if entry is not None and entry.expires > time.monotonic() else None

    def put(self, key: str, principal: Principal, version: bytes | None) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # rare: cheaper than an LRU, and only costs lookups
            self._entries[hash_api_key(key)] = Entry(principal, version,
                                                     time.monotonic() + self.ttl)

    def drop(self, key: str) -> None:
        with self._lock:
            self._entries.pop(hash_api_key(key), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

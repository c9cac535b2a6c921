"""HTTP load from one process: C threads, each with its own keep-alive connection.

The standard library's http.client costs far less per request than a full HTTP client,
so one core drives well over the rates the bench asks for (`loadgen` in the report says
how much, measured against /healthz).

Closed loop: each thread sends its next request as soon as the previous answer arrives.
Open loop (`rate`): request i is due at start + i/rate whatever the answers do, and its
latency counts from that due time, so a stalled server shows as latency rather than as
fewer requests sent (no coordinated omission).
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

Request = tuple[bytes | None, dict[str, str]]
# A reused connection the server closed while idle fails before the request is read, so
# sending again cannot submit twice.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # a few refusals, to say why
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the load generator's own
    api_cpu_seconds: float = 0.0  # the API's over the phase, where the caller measured it


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: bytes | None,
             headers: dict[str, str]) -> tuple[int, bytes]:
        for _ in range(2):
            fresh = self.conn is None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body, headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except STALE:
                self.close()
                if fresh:
                    raise
            except Exception:
                self.close()
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def drive(host: str, port: int, method: str, path: str, requests: Sequence[Request],
          concurrency: int, rate: float | None = None) -> LoadResult:
    """Send every request with `concurrency` threads; closed loop unless `rate` is given."""
    result = LoadResult()
    lock = threading.Lock()
    next_index = iter(range(len(requests)))
    start = time.perf_counter()

    def worker() -> None:
        conn = _Connection(host, port)
        try:
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                due = start + i / rate if rate else time.perf_counter()
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                body, headers = requests[i]
                try:
                    status, data = conn.send(method, path, body, headers)
                except (OSError, http.client.HTTPException):
                    status, data = 0, b""
                elapsed_ms = (time.perf_counter() - due) * 1000
                with lock:
                    result.latencies_ms.append(elapsed_ms)
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if status >= 300 and len(result.errors) < 5:
                        result.errors.append(f"{status} {data[:200]!r}")
        finally:
            conn.close()

    cpu = time.process_time()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - start
    result.cpu_seconds = time.process_time() - cpu
    return result

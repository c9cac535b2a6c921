"""A webhook receiver for tests: an HTTP server in a thread that records every POST and
answers each path with the statuses a test scripts (200 once the script runs out)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    script: dict[str, list[int]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def for_alert(self, alert_id: int, path: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.payload.get("kind") == "alert"
                    and r.payload["alert"]["id"] == alert_id and path in (None, r.path)]

    def of_kind(self, kind: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.payload.get("kind") == kind]


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """Serve on a free local port until the block ends."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                queue = state.script.get(self.path, [])
                status = queue.pop(0) if queue else 200
                state.received.append(Received(self.path, dict(self.headers), body, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

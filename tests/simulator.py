"""The one way tests start the platform simulator: a fresh one on a free port, in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from reconcile.sim.app import DEFAULT_TIMEOUT_HOLD_SECONDS, create_sim_app
from reconcile.sim.server import make_sim_server


def wait_until_ready(base_url: str, deadline_seconds: float = 10.0) -> None:
    """Poll the simulator until it answers, or raise TimeoutError at the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            if requests.get(f"{base_url}/_sim/calls", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"simulator at {base_url} did not answer in {deadline_seconds}s")
        time.sleep(0.02)


@contextmanager
def running_sim(
    host: str = "127.0.0.1", timeout_hold_seconds: float = DEFAULT_TIMEOUT_HOLD_SECONDS
) -> Iterator[str]:
    """Serve a fresh simulator on a free port; yield its base URL."""
    app = create_sim_app(timeout_hold_seconds=timeout_hold_seconds)
    server = make_sim_server(host, 0, app=app)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    base_url = f"http://{host}:{server.port}"
    try:
        wait_until_ready(base_url)
        yield base_url
    finally:
        # Release any answer still held by a timeout fault before stopping.
        app.extensions["reconcile_sim"].reset()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""Run the simulator on a threaded WSGI server."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from reconcile.sim.app import DEFAULT_TIMEOUT_HOLD_SECONDS, create_sim_app


def make_sim_server(
    host: str = "127.0.0.1",
    port: int = 8081,
    timeout_hold_seconds: float = DEFAULT_TIMEOUT_HOLD_SECONDS,
    app: Flask | None = None,
) -> BaseWSGIServer:
    """Bind a threaded server (one thread per connection); port 0 picks a free port."""
    app = app or create_sim_app(timeout_hold_seconds=timeout_hold_seconds)
    return make_server(host, port, app, threaded=True)


def serve(host: str = "127.0.0.1", port: int = 8081) -> None:
    """Serve the simulator until interrupted."""
    server = make_sim_server(host, port)
    logging.getLogger(__name__).info("platform simulator on http://%s:%s", host, server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()

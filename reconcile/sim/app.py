"""Build the simulator's Flask app."""

from __future__ import annotations

from flask import Flask

from reconcile.sim.api import blueprints
from reconcile.sim.api.instagram import GraphVersionConverter
from reconcile.sim.control import bp as control_bp
from reconcile.sim.store import SimStore

# Longer than any client timeout we use, short enough that a forgotten fault clears itself.
DEFAULT_TIMEOUT_HOLD_SECONDS = 30.0


def create_sim_app(timeout_hold_seconds: float = DEFAULT_TIMEOUT_HOLD_SECONDS) -> Flask:
    """Create a simulator app with its own empty store."""
    app = Flask("reconcile.sim")
    app.config["SIM_TIMEOUT_HOLD_SECONDS"] = timeout_hold_seconds
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["reconcile_sim"] = SimStore()
    app.url_map.converters["graph_version"] = GraphVersionConverter
    app.register_blueprint(control_bp)
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    return app

"""Serve each platform's real API shape from the simulator's store."""

from __future__ import annotations

from flask import Blueprint

from reconcile.sim.api import instagram, profiles, reddit, tiktok, x, youtube


def blueprints() -> list[Blueprint]:
    """Return one blueprint per simulated platform API."""
    return [module.bp for module in (reddit, instagram, tiktok, youtube, x, profiles)]

"""Wiring: the rules in force for this process."""

from __future__ import annotations

from functools import lru_cache

from reconcile.config import load_settings
from reconcile.rules import Rules, load_rules

_in_force: Rules | None = None


@lru_cache(maxsize=1)
def _loaded() -> Rules:
    return load_rules(load_settings().rules_path)


def active_rules() -> Rules:
    """Return the rules put in force by use_rules, else those from RECONCILE_RULES (or the
    shipped defaults), loaded once."""
    return _in_force or _loaded()


def use_rules(rules: Rules | None) -> None:
    """Put these rules in force for this process; None goes back to RECONCILE_RULES, read
    again (a test that changed it, the bench)."""
    global _in_force
    _in_force = rules
    _loaded.cache_clear()


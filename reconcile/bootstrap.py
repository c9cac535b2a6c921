"""Wiring: the rules in force for this process."""

from __future__ import annotations

from functools import lru_cache

from reconcile.config import load_settings
from reconcile.rules import Rules, load_rules


@lru_cache(maxsize=1)
def active_rules() -> Rules:
    """Return the rules from RECONCILE_RULES (or the shipped defaults), loaded once."""
    return load_rules(load_settings().rules_path)

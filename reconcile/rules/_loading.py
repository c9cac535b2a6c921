"""Merge a partial rules mapping over the defaults and coerce it, naming the bad key."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from types import MappingProxyType
from typing import Any, get_args, get_origin, get_type_hints

# Trust deltas are the only numbers that are negative by nature (penalties).
_SIGNED_PREFIX = "trust.deltas."


class RulesError(ValueError):
    """A rules file that cannot be used; the message starts with the dotted key."""


def _hints(schema: Any, defaults: Mapping[str, Any]) -> dict[str, Any]:
    if is_dataclass(schema):
        return get_type_hints(schema)
    if get_origin(schema) is Mapping:
        return dict.fromkeys(defaults, get_args(schema)[1])
    raise TypeError(f"unsupported rules schema {schema!r}")


def merge(defaults: Mapping[str, Any], override: Any, schema: Any, path: str) -> dict[str, Any]:
    """Lay `override` over `defaults`, coercing every value to the schema's type."""
    if not isinstance(override, Mapping):
        where = path or "rules"
        raise RulesError(f"{where}: must be a table, got {type(override).__name__}")
    for key in override:
        if key not in defaults:
            kind = "key" if path else "section"
            raise RulesError(f"{_join(path, key)}: unknown {kind}")
    hints = _hints(schema, defaults)
    merged: dict[str, Any] = {}
    for key, default in defaults.items():
        dotted = _join(path, key)
        if isinstance(default, Mapping):
            merged[key] = merge(default, override.get(key, {}), hints[key], dotted)
        elif isinstance(default, list):
            merged[key] = _networks(override.get(key, default), dotted)
        else:
            merged[key] = _coerce(override.get(key, default), hints[key], dotted)
    return merged


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


def _networks(value: Any, path: str) -> tuple[str, ...]:
    """A list of addresses or CIDR networks (the only list the rules hold)."""
    import ipaddress

    if not isinstance(value, list):
        raise RulesError(f"{path}: must be a list of addresses, got {type(value).__name__}")
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except (TypeError, ValueError):
            raise RulesError(f"{path}: {item!r} is not an address or network") from None
    return tuple(value)


def _coerce(value: Any, kind: type, path: str) -> Any:
    # bool is an int subclass in Python; `true` for a threshold is always a mistake.
    if isinstance(value, bool) or not isinstance(value, int | float):
        noun = "an integer" if kind is int else "a number"
        raise RulesError(f"{path}: must be {noun}, got {type(value).__name__}")
    if kind is int and not isinstance(value, int):
        raise RulesError(f"{path}: must be an integer, got {value!r}")
    if not math.isfinite(value):
        raise RulesError(f"{path}: must be a finite number")
    if value < 0 and not path.startswith(_SIGNED_PREFIX):
        raise RulesError(f"{path}: must not be negative")
    return kind(value)


def build(schema: Any, data: Mapping[str, Any]) -> Any:
    """Turn a merged mapping into the frozen dataclass tree (mappings become read-only)."""
    hints = get_type_hints(schema)
    kwargs: dict[str, Any] = {}
    for f in fields(schema):
        value = data[f.name]
        if is_dataclass(hints[f.name]):
            kwargs[f.name] = build(hints[f.name], value)
        elif isinstance(value, Mapping):
            kwargs[f.name] = MappingProxyType(dict(value))
        elif isinstance(value, list):
            kwargs[f.name] = tuple(value)
        else:
            kwargs[f.name] = value
    return schema(**kwargs)

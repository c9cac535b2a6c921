"""WORKER_NICE: how far a worker steps back from the API on a shared machine."""

from __future__ import annotations

import pytest

from reconcile.config import DEFAULT_WORKER_NICE, ConfigError, worker_nice


@pytest.mark.parametrize(("raw", "niceness"), [
    (None, DEFAULT_WORKER_NICE),
    ("", DEFAULT_WORKER_NICE),
    ("0", 0),
    ("5", 5),
    (" 19 ", 19),
])
def test_the_niceness_read(raw: str | None, niceness: int) -> None:
    env = {} if raw is None else {"WORKER_NICE": raw}
    assert worker_nice(env) == niceness


@pytest.mark.parametrize("raw", ["-1", "20", "ten", "1.5", "10x"])
def test_anything_else_is_one_clear_error(raw: str) -> None:
    with pytest.raises(ConfigError, match="WORKER_NICE must be a whole number from 0 to 19"):
        worker_nice({"WORKER_NICE": raw})

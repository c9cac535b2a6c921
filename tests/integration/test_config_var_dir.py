"""Unset URLs mean the embedded services under RECONCILE_VAR_DIR."""

from __future__ import annotations

from reconcile.config import (
    current_database_url,
    current_redis_url,
)


def test_unset_urls_mean_the_embedded_services(tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILE_VAR_DIR", str(tmp_path))

    assert current_database_url({}) == f"sqlite:///{tmp_path.resolve()}/reconcile.sqlite3"
    assert current_redis_url({}) == f"unix://{tmp_path.resolve()}/redis.sock"

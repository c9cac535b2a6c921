"""`reconcile rules show` and `reconcile rules check FILE`: output, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconcile.cli import main
from reconcile.rules import load_rules
from tests.conftest import FAST_RULES, ROOT


def _check(path: Path | str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["rules", "check", str(path)])
    return result.exit_code, result.stdout, result.stderr


def test_rules_check_accepts_a_valid_file_and_prints_its_version() -> None:
    code, out, _ = _check(FAST_RULES)

    assert code == 0
    assert out.strip() == f"ok: {FAST_RULES} is valid (version {load_rules(FAST_RULES).version})"


@pytest.mark.parametrize(("text", "key"), [
    ("[classification]\nlow_max_pct = 0.01\n", "classification.low_max_pct"),
    ("[classification]\noverclaim_critical_pct = 0.1\n", "classification.overclaim_critical_pct"),
    ("[retry.missing]\nmax_attempts = -1\n", "retry.missing.max_attempts"),
    ("[trust.deltas]\novercliam = -0.1\n", "trust.deltas.overcliam"),
    ("[reverify.interval_hours]\nnormal = \"daily\"\n", "reverify.interval_hours.normal"),
])
def test_rules_check_rejects_a_bad_file_in_one_line_naming_the_key(
    tmp_path: Path, text: str, key: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text)

    code, out, err = _check(path)

    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert key in err


@pytest.mark.parametrize("target", ["missing.toml", "."])
def test_rules_check_reports_an_unreadable_path_in_one_line(tmp_path: Path, target: str) -> None:
    code, _, err = _check(tmp_path / target)

    assert code != 0
    assert len(err.strip().splitlines()) == 1 and "cannot read rules file" in err


def _cli(*args: str, rules: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECONCILE_RULES": str(rules)}
    return subprocess.run([sys.executable, "-m", "reconcile.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_rules_show_prints_the_effective_rules_of_the_rules_file() -> None:
    shown = _cli("rules", "show", rules=FAST_RULES)

    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["version"] == load_rules(FAST_RULES).version
    assert body["rules"]["retry"]["missing"]["initial_delay_seconds"] == 1
    assert body["rules"]["reverify"]["interval_hours"]["critical"] == 1


def test_rules_show_with_a_broken_rules_file_fails_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[alerts]\nrepeat_window_hours = -6\n")

    shown = _cli("rules", "show", rules=path)

    assert shown.returncode != 0 and shown.stdout == ""
    assert shown.stderr.strip().splitlines() == [
        "Error: alerts.repeat_window_hours: must not be negative"]

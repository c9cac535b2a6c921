"""Rules files on disk: a partial file, bad keys and values, unreadable and invalid files."""

from __future__ import annotations

import json

import pytest

from reconcile.rules import RulesError, default_rules, load_rules
from tests.unit.test_rules_loading import DOMAIN_DEFAULTS


def _write(tmp_path, text):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_partial_file_changes_its_keys_and_keeps_every_other_default(tmp_path):
    path = _write(tmp_path, "[classification]\nlow_max_pct = 0.12\n\n[retry.missing]\n"
                            "max_attempts = 3\n")
    rules = load_rules(path)
    assert rules.classification.low_max_pct == 0.12
    assert rules.retry.missing.max_attempts == 3
    expected = json.loads(json.dumps(DOMAIN_DEFAULTS))
    expected["classification"]["low_max_pct"] = 0.12
    expected["retry"]["missing"]["max_attempts"] = 3
    assert rules.as_dict() == expected


def test_a_path_given_as_a_string_loads_too(tmp_path):
    assert load_rules(str(_write(tmp_path, ""))) == default_rules()


@pytest.mark.parametrize(
    "text, key",
    [
        ("[classification]\nbase_tolerance_pct = -0.01\n", "classification.base_tolerance_pct"),
        ("[classification.absolute_tolerance]\nviews = -1\n",
         "classification.absolute_tolerance.views"),
        ("[retry.missing]\nwindow_hours = -24\n", "retry.missing.window_hours"),
        ("[fetch]\ntimeout_seconds = -5.0\n", "fetch.timeout_seconds"),
    ],
)
def test_a_negative_number_is_rejected_naming_the_key(tmp_path, text, key):
    with pytest.raises(RulesError, match=rf"^{key}: must not be negative$"):
        load_rules(_write(tmp_path, text))


@pytest.mark.parametrize(
    "text, message",
    [
        ("[classification]\nbase_tolerance = 0.05\n", "classification.base_tolerance: unknown key"),
        ("[classification.absolute_tolerance]\nshares = 3\n",
         "classification.absolute_tolerance.shares: unknown key"),
        ("[retry.failing]\ndelay_seconds = 1\n", "retry.failing: unknown key"),
        ("[bogus]\nx = 1\n", "bogus: unknown section"),
        ("top_level = 1\n", "top_level: unknown section"),
    ],
)
def test_an_unknown_key_or_section_is_rejected_naming_it(tmp_path, text, message):
    with pytest.raises(RulesError, match=rf"^{message}$"):
        load_rules(_write(tmp_path, text))


@pytest.mark.parametrize(
    "text, key",
    [
        ("[trust]\ninitial = true\n", "trust.initial"),
        ("[trust]\ninitial = \"0.5\"\n", "trust.initial"),
        ("[retry.missing]\nmax_attempts = 2.5\n", "retry.missing.max_attempts"),
        ("[retry.missing]\nmax_attempts = true\n", "retry.missing.max_attempts"),
        ("[classification]\nlow_max_pct = nan\n", "classification.low_max_pct"),
        ("[classification]\nabsolute_tolerance = 3\n", "classification.absolute_tolerance"),
        ("classification = 3\n", "classification"),
        ("[trust]\ndeltas = [0.01]\n", "trust.deltas"),
    ],
)
def test_a_value_of_the_wrong_type_is_rejected_naming_the_key(tmp_path, text, key):
    with pytest.raises(RulesError, match=rf"^{key}: must be"):
        load_rules(_write(tmp_path, text))


def test_invalid_toml_gives_a_one_line_error(tmp_path):
    with pytest.raises(RulesError, match="invalid TOML") as caught:
        load_rules(_write(tmp_path, "[classification\nlow_max_pct = \n"))
    assert "\n" not in str(caught.value)


def test_an_unreadable_file_gives_a_one_line_error(tmp_path):
    with pytest.raises(RulesError, match="cannot read rules file") as caught:
        load_rules(tmp_path / "absent.toml")
    assert "\n" not in str(caught.value)


def test_restating_a_default_keeps_the_version(tmp_path):
    path = _write(tmp_path, "[classification]\ngrowth_cap_hours = 24\nlow_max_pct = 0.10\n")
    assert load_rules(path).version == default_rules().version

"""Every command, at every depth, answers a usage error with one line and exit status 2:
an unknown option, a missing argument or subcommand, a value of the wrong kind. Never a
traceback, never click's usage block."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime

import click
import pytest
from click.testing import CliRunner

from reconcile.cli import main
from tests.conftest import ROOT

Path_ = tuple[str, ...]


def walk(group: click.Group = main, path: Path_ = ()) -> Iterator[tuple[Path_, click.Command]]:
    """Every command and group under `group`, with the words that reach it."""
    ctx = click.Context(group, info_name="reconcile")
    for name in group.list_commands(ctx):
        command = group.commands[name]
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


def valid(param: click.Parameter) -> list[str]:
    """A value the parser accepts for param (so that another parameter is what fails)."""
    kind = param.type
    if isinstance(kind, click.Choice):
        value = str(kind.choices[0])
    elif isinstance(kind, click.IntRange | click.FloatRange):
        value = str(kind.min if kind.min is not None else 1)
    elif isinstance(kind, click.DateTime):
        value = datetime(2026, 1, 1).strftime(kind.formats[0])
    elif kind in (click.INT, click.FLOAT):
        value = "1"
    else:
        value = "x"
    if isinstance(param, click.Option):
        return [param.opts[0], value]
    return [value]


def rejects_words(param: click.Parameter) -> bool:
    return isinstance(param.type, click.Choice | click.IntRange | click.FloatRange |
                      click.DateTime) or param.type in (click.INT, click.FLOAT)


def _cases() -> Iterator[tuple[str, list[str], str]]:
    yield "reconcile --no-such-option", ["--no-such-option"], "No such option"
    yield "reconcile (no command)", [], "name a command"
    yield "reconcile no-such-command", ["no-such-command"], "No such command"
    for path, command in walk():
        words = " ".join(path)
        yield f"{words} --no-such-option", [*path, "--no-such-option"], "No such option"
        if isinstance(command, click.Group):
            yield f"{words} (no command)", list(path), "name a command"
            yield f"{words} no-such-command", [*path, "no-such-command"], "No such command"
            continue
        required = [p for p in command.params if p.required]
        if required:
            yield f"{words} (missing {required[0].name})", list(path), "Missing"
        for param in command.params:
            if rejects_words(param) and not getattr(param, "is_flag", False):
                yield f"{words} ({param.name}=not-a-value)", [*path, *bad_value(command, param)], \
                    "Invalid value"


def bad_value(command: click.Command, bad: click.Parameter) -> list[str]:
    """The words that give `bad` a wrong value and every other required parameter a good one,
    in the declared order (arguments are positional)."""
    words: list[str] = []
    for param in command.params:
        if param is bad:
            words += [param.opts[0], "not-a-value"] if isinstance(param, click.Option) \
                else ["not-a-value"]
        elif param.required:
            words += valid(param)
    return words


CASES = list(_cases())


def test_every_command_is_covered() -> None:
    covered = {case[0].split(" (")[0].split(" --")[0] for case in CASES}
    assert {" ".join(path) for path, _ in walk()} <= covered
    assert len(CASES) > 60


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_usage_error_is_one_line_and_exit_status_2(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(main, args, prog_name="reconcile")
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: reconcile") and expected in lines[0], lines[0]
    assert "Traceback" not in result.stderr and "Usage:" not in result.stderr


@pytest.mark.parametrize("args", [["users", "create", "--role", "admin"], ["rules"], ["bogus"]])
def test_the_installed_entry_point_prints_the_same_single_line(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "reconcile.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr

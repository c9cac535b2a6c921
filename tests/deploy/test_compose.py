"""docker-compose.yml against the code, for the drift that matters: every command runs an
entry point that exists, every variable is one the configuration reads, the worker reads the
queue list, there is one beat, and migrate runs before anything needs the schema.

The Docker engine does not run on the development machines, so the file is read, not run;
each check returns its problems, and a broken copy of the file shows each check catches them.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconcile.config import ENV_VARS
from reconcile.vocabulary import WORKER_QUEUES

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
NEED_SCHEMA = ("api", "worker", "beat")
Compose = dict[str, Any]


def app_services(compose: Compose) -> dict[str, dict[str, Any]]:
    """The services built from this repository (the others run third-party images)."""
    return {n: s for n, s in compose["services"].items() if "build" in s}


def _entry_point_problems(argv: list[str]) -> list[str]:
    if argv[:1] == ["reconcile"]:
        from reconcile.cli import main

        try:
            main.make_context("reconcile", argv[1:2])
        except click.ClickException as exc:
            return [f"reconcile {argv[1:2]}: {exc.format_message()}"]
        return [] if argv[1] in main.commands else [f"no `reconcile {argv[1]}`"]
    if argv[:3] == ["celery", "-A", "tasks"] and argv[3:4] in (["worker"], ["beat"], ["flower"]):
        importlib.import_module("tasks")
        return []
    if argv[:1] == ["gunicorn"]:
        module, _, factory = argv[-1].partition(":")
        return [] if callable(getattr(importlib.import_module(module), factory.rstrip("()"),
                                      None)) else [f"no {argv[-1]}"]
    return [f"{argv[:4]} is not an entry point of this project"]


def entry_points(compose: Compose) -> list[str]:
    return [f"{name}: {p}" for name, svc in app_services(compose).items()
            for p in _entry_point_problems([str(a) for a in svc.get("command") or [""]])]


def environment_known(compose: Compose) -> list[str]:
    return [f"{name} sets {var}, which the configuration does not read"
            for name, svc in app_services(compose).items()
            for var in (svc.get("environment") or {}) if var not in ENV_VARS]


def _runs(svc: dict[str, Any], sub: str) -> bool:
    return (svc.get("command") or [])[:4] == ["celery", "-A", "tasks", sub]


def worker_queues(compose: Compose) -> list[str]:
    problems = []
    for name, svc in app_services(compose).items():
        if _runs(svc, "worker"):
            command = svc["command"]
            queues = command[command.index("-Q") + 1] if "-Q" in command else ""
            if queues != ",".join(WORKER_QUEUES):
                problems.append(f"{name} reads {queues!r}, not {','.join(WORKER_QUEUES)!r}")
    return problems or ([] if any(_runs(s, "worker") for s in app_services(compose).values())
                        else ["no worker"])


def one_beat(compose: Compose) -> list[str]:
    beats = [(n, s) for n, s in app_services(compose).items() if _runs(s, "beat")]
    if len(beats) != 1:
        return [f"{len(beats)} beat services, not one"]
    name, svc = beats[0]
    replicas = (svc.get("deploy") or {}).get("replicas")
    return [] if replicas == 1 else [f"{name} may run {replicas} replicas, not 1"]


def migrate_first(compose: Compose) -> list[str]:
    services = compose["services"]
    if (services.get("migrate") or {}).get("command") != ["reconcile", "migrate"]:
        return ["no `reconcile migrate` service"]
    return [f"{name} starts before migrate has finished" for name in NEED_SCHEMA
            if ((services[name].get("depends_on") or {}).get("migrate") or {}).get("condition")
            != "service_completed_successfully"]


CHECKS: list[Callable[[Compose], list[str]]] = [
    entry_points, environment_known, worker_queues, one_beat, migrate_first]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_docker_compose_agrees_with_the_code(check: Callable[[Compose], list[str]]) -> None:
    assert check(COMPOSE) == []


def _set(service: str, key: str, value: Any) -> Callable[[Compose], None]:
    return lambda c: c["services"][service].__setitem__(key, value)


BREAKAGES = [
    (entry_points, _set("api", "command", ["gunicorn", "api:no_such_factory()"])),
    (entry_points, _set("migrate", "command", ["reconcile", "no-such-command"])),
    (environment_known, lambda c: c["services"]["api"]["environment"].__setitem__(
        "DATABSE_URL", "typo")),
    (worker_queues, _set("worker", "command", ["celery", "-A", "tasks", "worker", "-Q",
                                               "high,normal,low"])),
    (one_beat, _set("beat", "deploy", {"replicas": 2})),
    (one_beat, lambda c: c["services"].__setitem__("beat2", copy.deepcopy(
        c["services"]["beat"]))),
    (migrate_first, lambda c: c["services"]["worker"]["depends_on"].pop("migrate")),
]


@pytest.mark.parametrize(("check", "breakage"), BREAKAGES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(BREAKAGES)])
def test_a_broken_copy_of_the_file_is_caught(check: Callable[[Compose], list[str]],
                                            breakage: Callable[[Compose], None]) -> None:
    broken = copy.deepcopy(COMPOSE)
    breakage(broken)
    assert check(broken) != []

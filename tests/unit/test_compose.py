"""docker-compose.yml, the Dockerfile and .dockerignore, checked as files.

The Docker engine cannot run on the development machines, so these tests read the files
instead: every service command names a real entry point, every environment variable is one
the configuration reads, `worker` can scale, `beat` cannot, and `docker compose up` comes up
in order. Each check returns a list of problems; the last tests break in-memory copies of the
files to show that every check catches what it is there for.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
import shlex
import tomllib
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from reconcile.config import ENV_VARS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

BACKING_SERVICES = ("postgres", "redis")
APP_SERVICES = ("migrate", "api", "worker", "beat", "flower", "platform-sim")
REQUIRED_SERVICES = BACKING_SERVICES + APP_SERVICES
ONE_SHOT_SERVICES = ("migrate",)
LONG_RUNNING = tuple(s for s in REQUIRED_SERVICES if s not in ONE_SHOT_SERVICES)
# Services that read or write the database must wait for the schema.
NEED_SCHEMA = ("api", "worker", "beat")
CELERY_SUBCOMMANDS = ("worker", "beat", "flower")
CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
# What the image needs to install and run; the Dockerfile copies these.
IMAGE_CONTENTS = (
    "reconcile", "api", "tasks", "migrations", "celeryconfig.py", "pyproject.toml", "README.md",
    "LICENSE", "requirements.lock",
)
LOCK = "requirements.lock"
CODE = ("reconcile", "api", "tasks", "migrations", "celeryconfig.py")
NEVER_IN_BUILD_CONTEXT = (".venv", "var", ".git")

Compose = dict[str, Any]
Service = dict[str, Any]


# --- reading the files ---------------------------------------------------------------------


def load_compose(text: str) -> Compose:
    """Parse compose YAML; `<<: *app` merge keys are resolved by the safe loader."""
    data = yaml.safe_load(text)
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def services(compose: Compose) -> dict[str, Service]:
    return compose.get("services") or {}


def app_services(compose: Compose) -> dict[str, Service]:
    """Services built from this repository (the rest run third-party images)."""
    return {name: svc for name, svc in services(compose).items() if "build" in svc}


def argv(svc: Service) -> list[str]:
    command = svc.get("command")
    if command is None:
        return []
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command]


def environment(svc: Service) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def depends_on(svc: Service) -> dict[str, Any]:
    """depends_on as {service: options}; the short list form carries no options (None)."""
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: None for name in deps}
    return dict(deps)


def has_healthcheck(svc: Service) -> bool:
    check = svc.get("healthcheck")
    return bool(check) and not check.get("disable") and bool(check.get("test"))


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def exec_form(arguments: str) -> list[str]:
    """A CMD/ENTRYPOINT argument list, JSON (exec) form or shell form."""
    if arguments.startswith("["):
        return [str(a) for a in json.loads(arguments)]
    return shlex.split(arguments)


# --- entry points --------------------------------------------------------------------------


def declared_options(command: click.Command) -> set[str]:
    names = {"--help"}
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def unknown_click_options(command: click.Command, args: list[str]) -> list[str]:
    known = declared_options(command)
    return [a for a in args if a.startswith("-") and a.split("=", 1)[0] not in known]


def console_script_target(name: str) -> str | None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return pyproject.get("project", {}).get("scripts", {}).get(name)


def reconcile_problems(args: list[str]) -> list[str]:
    """`reconcile a b --opt v`: the console script exists and the subcommand path parses."""
    target = console_script_target("reconcile")
    if target != "reconcile.cli:main":
        return [f"the reconcile console script points at {target!r}, not reconcile.cli:main"]
    from reconcile.cli import main

    command: click.Command = main
    path = ["reconcile"]
    rest = list(args)
    while isinstance(command, click.Group):
        if not rest or rest[0].startswith("-"):
            return [f"`{' '.join(path)}` is a group; the command names no subcommand of it"]
        name = rest.pop(0)
        sub = command.commands.get(name)
        if sub is None:
            return [f"`{' '.join(path)}` has no subcommand {name!r} "
                    f"(it has {sorted(command.commands)})"]
        command = sub
        path.append(name)
    try:
        command.make_context(" ".join(path), list(rest))
    except click.ClickException as exc:
        return [f"`{' '.join(path)}` rejects {rest}: {exc.format_message()}"]
    return []


def celery_app_of(module_name: str) -> Any:
    from celery import Celery

    module = importlib.import_module(module_name)
    for attr in ("app", "celery"):
        candidate = getattr(module, attr, None)
        if isinstance(candidate, Celery):
            return candidate
    return None


def celery_problems(args: list[str]) -> list[str]:
    """`celery -A tasks <worker|beat|flower> ...`: the app imports and the subcommand exists."""
    from celery.bin.celery import celery as celery_group

    if len(args) >= 2 and args[0] in ("-A", "--app"):
        module_name, rest = args[1], args[2:]
    elif args and args[0].startswith("--app="):
        module_name, rest = args[0].split("=", 1)[1], args[1:]
    else:
        return [f"celery is not given its app with -A first: {args}"]
    try:
        app = celery_app_of(module_name)
    except ImportError as exc:
        return [f"celery app module {module_name!r} does not import: {exc}"]
    if app is None:
        return [f"module {module_name!r} exposes no Celery app as `app` or `celery`"]
    if not rest or rest[0] not in CELERY_SUBCOMMANDS:
        return [f"celery subcommand {rest[:1]} is not one of {CELERY_SUBCOMMANDS}"]
    sub, options = rest[0], rest[1:]
    command = celery_group.commands.get(sub)
    if command is None:
        return [f"`celery {sub}` is not installed (missing plugin?)"]
    if sub == "flower":
        # Flower hands its options to tornado rather than declaring them with click.
        from flower.options import options as flower_options

        bad = [o for o in options if o.startswith("--")
               and o[2:].split("=", 1)[0].replace("-", "_") not in flower_options]
        return [f"`celery flower` has no option {o}" for o in bad]
    unknown = unknown_click_options(command, options)
    problems = [f"`celery {sub}` has no option {o}" for o in unknown]
    if sub == "worker":
        problems += worker_queue_problems(options)
    return problems


def worker_queue_problems(options: list[str]) -> list[str]:
    """The worker must consume every queue the dispatcher and beat route to."""
    from reconcile.vocabulary import WORKER_QUEUES as QUEUES

    queues: list[str] = []
    for i, opt in enumerate(options):
        if opt in ("-Q", "--queues") and i + 1 < len(options):
            queues += options[i + 1].split(",")
        elif opt.startswith("--queues="):
            queues += opt.split("=", 1)[1].split(",")
    if not queues:
        return ["the worker names no queues (-Q), so it consumes only the default one"]
    missing = [q for q in QUEUES if q not in queues]
    return [f"the worker does not consume queue {q!r}" for q in missing]


def gunicorn_problems(args: list[str]) -> list[str]:
    """`gunicorn [options] module:factory()`: the options parse and the factory exists."""
    from gunicorn.config import Config

    try:
        parsed = Config().parser().parse_args(args)
    except SystemExit:
        return [f"gunicorn rejects its arguments {args}"]
    if len(parsed.args) != 1:
        return [f"gunicorn needs exactly one app, got {parsed.args}"]
    module_name, _, expression = parsed.args[0].partition(":")
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(\(\))?", expression)
    if not module_name or not match:
        return [f"gunicorn app {parsed.args[0]!r} is not module:callable()"]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return [f"gunicorn app module {module_name!r} does not import: {exc}"]
    if not callable(getattr(module, match.group(1), None)):
        return [f"{module_name}.{match.group(1)} is not callable"]
    return []


ENTRY_POINTS: dict[str, Callable[[list[str]], list[str]]] = {
    "reconcile": reconcile_problems,
    "celery": celery_problems,
    "gunicorn": gunicorn_problems,
}


def entry_point_problems(command: list[str]) -> list[str]:
    if not command:
        return ["no command (the image default would run the API)"]
    check = ENTRY_POINTS.get(command[0])
    if check is None:
        return [f"{command[0]!r} is not one of the project's entry points {sorted(ENTRY_POINTS)}"]
    return check(command[1:])


# --- checks on the compose file ------------------------------------------------------------


def check_required_services(compose: Compose) -> list[str]:
    present = services(compose)
    missing = [f"service {s!r} is missing" for s in REQUIRED_SERVICES if s not in present]
    built = set(app_services(compose))
    return missing + [f"{s!r} is not built from this repository" for s in APP_SERVICES
                      if s in present and s not in built]


def check_commands(compose: Compose, name: str) -> list[str]:
    svc = services(compose).get(name)
    if svc is None:
        return [f"service {name!r} is missing"]
    return [f"{name}: {p}" for p in entry_point_problems(argv(svc))]


def check_environment_is_known(compose: Compose) -> list[str]:
    """App services set only variables reconcile.config reads (postgres's POSTGRES_* are the
    postgres image's own business and are not checked here)."""
    return [f"{name} sets {var}, which the configuration does not read"
            for name, svc in app_services(compose).items()
            for var in sorted(environment(svc)) if var not in ENV_VARS]


def check_environment_points_at_services(compose: Compose) -> list[str]:
    """Without these, a container would fall back to embedded SQLite/Redis inside itself."""
    known = set(services(compose))
    problems = []
    for name, svc in app_services(compose).items():
        env = environment(svc)
        for var, scheme in (("DATABASE_URL", "postgresql"), ("REDIS_URL", "redis"),
                            ("RECONCILE_PLATFORM_BASE_URL", "http")):
            url = env.get(var)
            if not url:
                problems.append(f"{name} does not set {var}")
                continue
            parts = urlsplit(url)
            if not parts.scheme.startswith(scheme):
                problems.append(f"{name}: {var}={url} is not a {scheme} URL")
            elif parts.hostname not in known:
                problems.append(f"{name}: {var} points at {parts.hostname!r}, not a service")
    return problems


def check_webhook_settings_pass_through(compose: Compose) -> list[str]:
    """Secrets come from the host environment, never from the file."""
    problems = []
    for name, svc in app_services(compose).items():
        env = environment(svc)
        for var in ("ALERT_WEBHOOK_URLS", "ALERT_WEBHOOK_SECRET"):
            if env.get(var) != f"${{{var}:-}}":
                problems.append(f"{name}: {var} is {env.get(var)!r}, not ${{{var}:-}}")
    return problems


def check_worker_scales(compose: Compose) -> list[str]:
    worker = services(compose).get("worker") or {}
    problems = [f"worker sets {key}, so --scale would clash"
                for key in ("container_name", "hostname") if key in worker]
    if worker.get("ports"):
        problems.append(f"worker publishes host ports {worker['ports']}, so --scale would clash")
    return problems


def check_beat_is_single(compose: Compose) -> list[str]:
    beat = services(compose).get("beat") or {}
    replicas = (beat.get("deploy") or {}).get("replicas")
    problems = [] if replicas == 1 else [f"beat deploy.replicas is {replicas!r}, not 1"]
    if beat.get("scale", 1) != 1:
        problems.append(f"beat scale is {beat['scale']!r}, not 1")
    return problems


def option_value(command: list[str], option: str) -> str | None:
    for i, token in enumerate(command):
        if token == option and i + 1 < len(command):
            return command[i + 1]
        if token.startswith(option + "="):
            return token.split("=", 1)[1]
    return None


def check_redis_persistence(compose: Compose) -> list[str]:
    command = argv(services(compose).get("redis") or {})
    problems = []
    if not command or command[0] != "redis-server":
        problems.append(f"redis does not run redis-server: {command}")
    if option_value(command, "--appendonly") != "yes":
        problems.append("redis runs without --appendonly yes")
    if option_value(command, "--maxmemory-policy") != "noeviction":
        problems.append("redis runs without --maxmemory-policy noeviction")
    return problems


def check_depends_on(compose: Compose) -> list[str]:
    present = services(compose)
    problems = []
    for name, svc in present.items():
        for dep, options in depends_on(svc).items():
            condition = (options or {}).get("condition")
            if dep not in present:
                problems.append(f"{name} depends on {dep!r}, which is not a service")
            elif condition not in CONDITIONS:
                problems.append(f"{name} depends on {dep} without a condition")
            elif condition == "service_healthy" and not has_healthcheck(present[dep]):
                problems.append(f"{name} waits for {dep} to be healthy; it has no healthcheck")
            elif (condition == "service_completed_successfully"
                  and present[dep].get("restart", "no") != "no"):
                problems.append(f"{name} waits for {dep} to complete; it restarts forever")
    return problems


def check_health(compose: Compose) -> list[str]:
    problems = []
    for name in LONG_RUNNING:
        svc = services(compose).get(name)
        if svc is None:
            continue
        waits_for_health = any((opts or {}).get("condition") == "service_healthy"
                               for opts in depends_on(svc).values())
        if not has_healthcheck(svc) and not waits_for_health:
            problems.append(f"{name} has no healthcheck and waits for no healthy service")
    for name in BACKING_SERVICES:
        if not has_healthcheck(services(compose).get(name) or {}):
            problems.append(f"{name} has no healthcheck, so nothing can wait for it")
    return problems


RESTARTING = ("always", "unless-stopped", "on-failure")
# What a cheap health check may not start: the Celery app (it imports every task module), or
# the project's command line.
APP_PROGRAMS = ("celery", "reconcile")
APP_IMPORTS = ("-A tasks", "import tasks", "from tasks", "import reconcile", "from reconcile")
LIVENESS_FILES = {"worker": "/app/var/worker.alive", "beat": "/app/var/beat.alive"}


def check_restart_policies(compose: Compose) -> list[str]:
    """Every long-running service comes back after a crash or a host reboot."""
    return [f"{name} has restart {svc.get('restart')!r}, not one of {RESTARTING}"
            for name, svc in services(compose).items()
            if name in LONG_RUNNING and svc.get("restart") not in RESTARTING]


def check_cheap_healthchecks(compose: Compose) -> list[str]:
    """Each long-running service has its own check, and none loads the app to run it."""
    problems = []
    for name in LONG_RUNNING:
        svc = services(compose).get(name) or {}
        if not has_healthcheck(svc):
            problems.append(f"{name} has no health check of its own")
            continue
        test = " ".join(str(part) for part in svc["healthcheck"]["test"])
        words = shlex.split(test)
        if words[1:2] and words[1] in APP_PROGRAMS or any(i in test for i in APP_IMPORTS):
            problems.append(f"{name}'s health check runs celery or the app: {test}")
        if name in LIVENESS_FILES and LIVENESS_FILES[name] not in test:
            problems.append(f"{name}'s health check does not read {LIVENESS_FILES[name]}")
    return problems


def check_flower_auth(compose: Compose) -> list[str]:
    """Flower requires a password, taken from the host and never written in the file or on
    the command line (where `ps` shows it)."""
    flower = services(compose).get("flower") or {}
    value = environment(flower).get("FLOWER_BASIC_AUTH", "")
    problems = []
    if not value.startswith("${FLOWER_BASIC_AUTH:?"):
        problems.append(f"flower: FLOWER_BASIC_AUTH is {value!r}, not a required "
                        "${FLOWER_BASIC_AUTH:?...} from the host")
    if any(a.startswith("--basic-auth") or a.startswith("--basic_auth") for a in argv(flower)):
        problems.append("flower: the password is on the command line")
    return problems


def check_start_order(compose: Compose) -> list[str]:
    present = services(compose)
    migrate = present.get("migrate") or {}
    problems = []
    if argv(migrate) != ["reconcile", "migrate"]:
        problems.append(f"migrate runs {argv(migrate)}, not `reconcile migrate`")
    if migrate.get("restart", "no") != "no":
        problems.append(f"migrate is one-shot but has restart {migrate.get('restart')!r}")
    if (depends_on(migrate).get("postgres") or {}).get("condition") != "service_healthy":
        problems.append("migrate does not wait for postgres to be healthy")
    for name in NEED_SCHEMA:
        deps = depends_on(present.get(name) or {})
        if (deps.get("migrate") or {}).get("condition") != "service_completed_successfully":
            problems.append(f"{name} does not wait for migrate to complete")
        if (deps.get("redis") or {}).get("condition") != "service_healthy":
            problems.append(f"{name} does not wait for redis to be healthy")
    return problems


def check_one_image(compose: Compose) -> list[str]:
    problems = []
    images = set()
    for name, svc in app_services(compose).items():
        build = svc["build"]
        context = build if isinstance(build, str) else (build or {}).get("context")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile",
                                                                           "Dockerfile")
        if context not in (".", "./") or dockerfile != "Dockerfile":
            problems.append(f"{name} builds {context}/{dockerfile}, not ./Dockerfile")
        images.add(svc.get("image"))
    if len(images) != 1 or None in images:
        problems.append(f"app services do not share one image tag: {sorted(map(str, images))}")
    return problems


# --- checks on the Dockerfile and .dockerignore --------------------------------------------


def copied_sources(instructions: list[tuple[str, str]]) -> list[str]:
    sources = []
    for keyword, arguments in instructions:
        if keyword in ("COPY", "ADD"):
            parts = [p for p in shlex.split(arguments) if not p.startswith("--")]
            sources += [p.rstrip("/") for p in parts[:-1]]
    return sources


def pip_installs(runs: list[str]) -> list[list[str]]:
    """The arguments of every `pip install` in the RUN instructions."""
    found = []
    for run in runs:
        for step in re.split(r"&&|;|\|\|", run):
            words = shlex.split(step)
            for i in range(len(words) - 1):
                if words[i].endswith("pip") and words[i + 1] == "install":
                    found.append(words[i + 2:])
                    break
    return found


def check_dockerfile(text: str, api_command: list[str]) -> list[str]:
    instructions = dockerfile_instructions(text)
    by_keyword: dict[str, list[str]] = {}
    for keyword, arguments in instructions:
        by_keyword.setdefault(keyword, []).append(arguments)
    problems = []
    if by_keyword.get("FROM", [""])[0].split(" ")[0] != "python:3.11-slim":
        problems.append(f"the image is not FROM python:3.11-slim: {by_keyword.get('FROM')}")
    if by_keyword.get("WORKDIR", [""])[-1] != "/app":
        problems.append("WORKDIR is not /app")
    installs = pip_installs(by_keyword.get("RUN", []))
    if ["."] not in [[a for a in args if not a.startswith("-")] for args in installs]:
        problems.append(f"no RUN does `pip install .` (installs: {installs})")
    for args in installs:
        if any("[" in a for a in args):
            problems.append(f"the image installs extras: pip install {' '.join(args)}")
        if any(a in ("-e", "--editable") or a.startswith("--editable=") for a in args):
            problems.append(f"the image does an editable install: pip install {' '.join(args)}")
    users = [i for i, (k, _) in enumerate(instructions) if k == "USER"]
    last_run = max((i for i, (k, _) in enumerate(instructions) if k == "RUN"), default=-1)
    if not users:
        problems.append("the image runs as root (no USER)")
    else:
        user = instructions[users[-1]][1].split(":")[0]
        if user in ("root", "0"):
            problems.append("the image's USER is root")
        if users[-1] < last_run:
            problems.append("a RUN comes after the last USER (it would run as that user)")
    if "8000" not in " ".join(by_keyword.get("EXPOSE", [])).split():
        problems.append("the image does not EXPOSE 8000")
    healthchecks = by_keyword.get("HEALTHCHECK", [])
    if not healthchecks or "/healthz" not in healthchecks[-1]:
        problems.append("the image has no HEALTHCHECK on /healthz")
    elif re.search(r"\b(curl|wget)\b", healthchecks[-1]):
        problems.append("the HEALTHCHECK uses curl/wget, which python:3.11-slim lacks")
    cmds = by_keyword.get("CMD", [])
    if not cmds:
        problems.append("the image has no CMD")
    elif exec_form(cmds[-1]) != api_command:
        problems.append(f"the image CMD {exec_form(cmds[-1])} differs from api's {api_command}")
    sources = copied_sources(instructions)
    for path in IMAGE_CONTENTS:
        if path not in sources and "." not in sources:
            problems.append(f"the image does not COPY {path}")
    return problems


def _reads_lock(args: list[str]) -> bool:
    """`pip install -r requirements.lock` (or --requirement)."""
    return any(a == f"--requirement={LOCK}"
               or (a == LOCK and i > 0 and args[i - 1] in ("-r", "--requirement"))
               for i, a in enumerate(args))


def check_dockerfile_installs_from_the_lock(text: str) -> list[str]:
    """Dependencies come from the lock, in a layer built before any code is copied (a code
    change then reuses it), and the project adds none of its own (--no-deps)."""
    instructions = dockerfile_instructions(text)
    problems = []
    lock_at = next((i for i, (k, a) in enumerate(instructions) if k == "RUN"
                    and any(_reads_lock(args) for args in pip_installs([a]))), None)
    code_at = next((i for i, (k, a) in enumerate(instructions) if k in ("COPY", "ADD")
                    and any(src in CODE or src == "." for src in copied_sources([(k, a)]))),
                   None)
    if lock_at is None:
        problems.append(f"no RUN does `pip install -r {LOCK}`")
    elif code_at is not None and code_at < lock_at:
        problems.append(f"the code is copied before `pip install -r {LOCK}`, so a code change "
                        "reinstalls every dependency")
    for args in pip_installs([a for k, a in instructions if k == "RUN"]):
        if "." in args and "--no-deps" not in args:
            problems.append("`pip install .` without --no-deps may install versions the lock "
                            "does not pin")
    return problems


def ignore_patterns(text: str) -> list[str]:
    return [line.strip().rstrip("/") for line in text.splitlines()
            if line.strip() and not line.strip().startswith(("#", "!"))]


def check_dockerignore(text: str) -> list[str]:
    patterns = ignore_patterns(text)
    problems = [f".dockerignore does not exclude {p}" for p in NEVER_IN_BUILD_CONTEXT
                if not any(fnmatch(p, pat) for pat in patterns)]
    problems += [f".dockerignore excludes {p}, which the image needs" for p in IMAGE_CONTENTS
                 if any(fnmatch(p, pat) for pat in patterns)]
    return problems


# --- the real files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> Compose:
    return load_compose(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return DOCKERFILE.read_text()


def test_every_required_service_is_defined_and_app_services_are_built_here(compose):
    assert check_required_services(compose) == []


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_command_names_a_real_entry_point(compose, name):
    assert check_commands(compose, name) == []


def test_every_environment_variable_of_an_app_service_is_one_the_configuration_reads(compose):
    assert check_environment_is_known(compose) == []


def test_app_services_point_database_broker_and_platforms_at_compose_services(compose):
    assert check_environment_points_at_services(compose) == []


def test_alert_webhook_settings_are_passed_through_from_the_host(compose):
    assert check_webhook_settings_pass_through(compose) == []


def test_worker_has_no_container_name_and_no_host_ports_so_it_scales(compose):
    assert check_worker_scales(compose) == []


def test_beat_is_limited_to_one_replica(compose):
    assert check_beat_is_single(compose) == []


def test_redis_is_append_only_and_never_evicts(compose):
    assert check_redis_persistence(compose) == []


def test_every_depends_on_names_an_existing_service_with_a_condition(compose):
    assert check_depends_on(compose) == []


def test_each_long_running_service_has_a_healthcheck_or_waits_for_one(compose):
    assert check_health(compose) == []


def test_every_long_running_service_restarts_unless_stopped(compose):
    assert check_restart_policies(compose) == []


def test_every_long_running_service_has_a_cheap_health_check(compose):
    assert check_cheap_healthchecks(compose) == []


def test_flower_requires_a_password_from_the_host(compose):
    assert check_flower_auth(compose) == []


def test_the_liveness_files_are_the_ones_the_processes_touch():
    from reconcile import liveness

    assert {"worker": f"/app/var/{liveness.WORKER}",
                              "beat": f"/app/var/{liveness.BEAT}"} == LIVENESS_FILES


def test_migrate_runs_once_after_postgres_and_before_the_services_that_need_the_schema(compose):
    assert check_start_order(compose) == []


def test_every_app_service_builds_the_one_image_from_the_dockerfile(compose):
    assert check_one_image(compose) == []
    assert DOCKERFILE.is_file()


def test_the_dockerfile_does_a_production_install_as_a_non_root_user(compose, dockerfile):
    assert check_dockerfile(dockerfile, argv(services(compose)["api"])) == []


def test_the_dockerfile_installs_the_locked_dependencies_before_the_code(dockerfile):
    assert check_dockerfile_installs_from_the_lock(dockerfile) == []


@pytest.mark.parametrize("path", IMAGE_CONTENTS)
def test_every_path_the_image_copies_exists_in_the_repository(path):
    assert (ROOT / path).exists(), f"the Dockerfile copies {path}, which does not exist"


def test_the_dockerignore_keeps_local_state_out_and_the_project_in():
    assert check_dockerignore(DOCKERIGNORE.read_text()) == []


# --- broken copies: every check catches what it is for -------------------------------------


def _set(service: str, key: str, value: Any) -> Callable[[Compose], None]:
    def mutate(c: Compose) -> None:
        c["services"][service][key] = value
    return mutate


def _drop(service: str, key: str) -> Callable[[Compose], None]:
    def mutate(c: Compose) -> None:
        c["services"][service].pop(key, None)
    return mutate


def _env(service: str, **values: str) -> Callable[[Compose], None]:
    def mutate(c: Compose) -> None:
        svc = c["services"][service]
        svc["environment"] = {**environment(svc), **values}
    return mutate


def _drop_service(name: str) -> Callable[[Compose], None]:
    def mutate(c: Compose) -> None:
        del c["services"][name]
    return mutate


BROKEN_COMPOSE = [
    ("beat missing", _drop_service("beat"), check_required_services, "'beat' is missing"),
    ("reconcile subcommand typo", _set("migrate", "command", "reconcile migrat"),
     lambda c: check_commands(c, "migrate"), "no subcommand 'migrat'"),
    ("reconcile stops at a group", _set("migrate", "command", ["reconcile", "users"]),
     lambda c: check_commands(c, "migrate"), "is a group"),
    ("reconcile option unknown", _set("platform-sim", "command", "reconcile sim --listen 1"),
     lambda c: check_commands(c, "platform-sim"), "rejects"),
    ("celery app module missing", _set("worker", "command", "celery -A taskz worker"),
     lambda c: check_commands(c, "worker"), "does not import"),
    ("celery subcommand not allowed", _set("beat", "command", "celery -A tasks events"),
     lambda c: check_commands(c, "beat"), "is not one of"),
    ("celery option unknown", _set("beat", "command", "celery -A tasks beat --schedul x"),
     lambda c: check_commands(c, "beat"), "no option --schedul"),
    ("worker skips a queue", _set("worker", "command", "celery -A tasks worker -Q high,normal"),
     lambda c: check_commands(c, "worker"), "queue 'low'"),
    ("flower option unknown", _set("flower", "command", "celery -A tasks flower --prot=5555"),
     lambda c: check_commands(c, "flower"), "no option --prot"),
    ("gunicorn factory missing", _set("api", "command", "gunicorn 'api:make_app()'"),
     lambda c: check_commands(c, "api"), "not callable"),
    ("gunicorn option unknown", _set("api", "command", "gunicorn --bnd x 'api:create_app()'"),
     lambda c: check_commands(c, "api"), "rejects"),
    ("not an entry point", _set("api", "command", "python -m http.server"),
     lambda c: check_commands(c, "api"), "not one of the project's entry points"),
    ("unknown variable", _env("api", RECONCILE_DATABSE="x"), check_environment_is_known,
     "api sets RECONCILE_DATABSE"),
    ("unknown variable in list form", _set("worker", "environment", ["NOPE=1"]),
     check_environment_is_known, "worker sets NOPE"),
    ("database unset", _set("beat", "environment", {"REDIS_URL": "redis://redis:6379/0"}),
     check_environment_points_at_services, "beat does not set DATABASE_URL"),
    ("broker on localhost", _env("worker", REDIS_URL="redis://localhost:6379/0"),
     check_environment_points_at_services, "'localhost', not a service"),
    ("secret in the file", _env("api", ALERT_WEBHOOK_SECRET="hunter2"),
     check_webhook_settings_pass_through, "ALERT_WEBHOOK_SECRET is 'hunter2'"),
    ("worker container name", _set("worker", "container_name", "w"), check_worker_scales,
     "container_name"),
    ("worker host port", _set("worker", "ports", ["9000:9000"]), check_worker_scales,
     "host ports"),
    ("beat two replicas", _set("beat", "deploy", {"replicas": 2}), check_beat_is_single,
     "replicas is 2"),
    ("beat unlimited", _drop("beat", "deploy"), check_beat_is_single, "replicas is None"),
    ("redis evicts", _set("redis", "command",
                          "redis-server --appendonly yes --maxmemory-policy allkeys-lru"),
     check_redis_persistence, "noeviction"),
    ("redis not append-only", _set("redis", "command", "redis-server"),
     check_redis_persistence, "--appendonly yes"),
    ("depends on a ghost", _set("api", "depends_on", {"cache": {"condition": "service_started"}}),
     check_depends_on, "'cache', which is not a service"),
    ("depends on without condition", _set("api", "depends_on", ["redis"]), check_depends_on,
     "without a condition"),
    ("waits for health that never comes",
     _set("api", "depends_on", {"migrate": {"condition": "service_healthy"}}), check_depends_on,
     "waits for migrate to be healthy; it has no healthcheck"),
    ("worker never restarts", _set("worker", "restart", "no"), check_restart_policies,
     "worker has restart 'no'"),
    ("beat without a policy", lambda c: (c["x-app"].pop("restart"), c["services"]["beat"]
                                         .pop("restart", None)), check_restart_policies,
     "beat has restart None"),
    ("worker check loads the app", _set("worker", "healthcheck", {
        "test": ["CMD-SHELL", "celery -A tasks inspect ping"], "interval": "30s"}),
     check_cheap_healthchecks, "worker's health check runs celery"),
    ("beat unwatched", _set("beat", "healthcheck", {"disable": True}), check_cheap_healthchecks,
     "beat has no health check"),
    ("worker file misnamed", _set("worker", "healthcheck", {"test": [
        "CMD", "python", "-c", "import os; os.stat('/app/var/worker.ok')"]}),
     check_cheap_healthchecks, "worker's health check does not read /app/var/worker.alive"),
    ("flower open", _env("flower", FLOWER_BASIC_AUTH=""), check_flower_auth,
     "FLOWER_BASIC_AUTH"),
    ("flower password in the file", _env("flower", FLOWER_BASIC_AUTH="ops:hunter2"),
     check_flower_auth, "FLOWER_BASIC_AUTH"),
    ("flower password on the command line",
     _set("flower", "command", "celery -A tasks flower --basic-auth=ops:hunter2"),
     check_flower_auth, "on the command line"),
    ("postgres without healthcheck", _drop("postgres", "healthcheck"), check_health,
     "postgres has no healthcheck"),
    ("flower unwatched", lambda c: (_drop("flower", "healthcheck")(c),
                                    _drop("flower", "depends_on")(c)),
     check_health, "flower has no healthcheck"),
    ("migrate restarts", _set("migrate", "restart", "always"), check_start_order,
     "restart 'always'"),
    ("worker does not wait for migrate", _set("worker", "depends_on", {
        "redis": {"condition": "service_healthy"}}), check_start_order,
     "worker does not wait for migrate"),
    ("other dockerfile", _set("flower", "build", {"context": ".", "dockerfile": "Dockerfile.x"}),
     check_one_image, "flower builds ./Dockerfile.x"),
    ("second image tag", _set("beat", "image", "reconcile:beat"), check_one_image,
     "do not share one image tag"),
]


@pytest.mark.parametrize(("mutate", "check", "expected"),
                         [case[1:] for case in BROKEN_COMPOSE],
                         ids=[case[0] for case in BROKEN_COMPOSE])
def test_a_broken_compose_file_is_caught(mutate, check, expected):
    broken = load_compose(COMPOSE_FILE.read_text())
    assert check(copy.deepcopy(broken)) == [], "the real file should pass before breaking it"
    mutate(broken)
    problems = check(broken)
    assert any(expected in p for p in problems), problems


BROKEN_DOCKERFILE = [
    ("dev extras", "RUN pip install --no-deps .", "RUN pip install '.[dev]'", "installs extras"),
    ("editable install", "RUN pip install --no-deps .", "RUN pip install -e .",
     "editable install"),
    ("no install", "RUN pip install --no-deps .", "RUN pip download .",
     "no RUN does `pip install .`"),
    ("runs as root", "USER reconcile", "USER root", "USER is root"),
    ("no user", "USER reconcile", "", "runs as root"),
    ("other python", "FROM python:3.11-slim", "FROM python:3.12-slim", "FROM python:3.11-slim"),
    ("curl healthcheck", "CMD [\"python\", \"-c\", \"import urllib.request;",
     "CMD [\"curl\", \"-c\", \"import urllib.request;", "curl/wget"),
    ("other command", "\"--workers\", \"2\"", "\"--workers\", \"3\"", "differs from api's"),
    ("tasks not copied", "COPY tasks/ tasks/", "", "does not COPY tasks"),
]


BROKEN_LOCK_INSTALL = [
    ("no lock", f"RUN pip install -r {LOCK}", "RUN true", "no RUN does"),
    ("code before the lock", f"COPY {LOCK} ./", "COPY . ./", "reinstalls every dependency"),
    ("deps beside the lock", "RUN pip install --no-deps .", "RUN pip install .", "--no-deps"),
]


@pytest.mark.parametrize(("old", "new", "expected"), [case[1:] for case in BROKEN_LOCK_INSTALL],
                         ids=[case[0] for case in BROKEN_LOCK_INSTALL])
def test_a_dockerfile_that_skips_the_lock_is_caught(dockerfile, old, new, expected):
    assert check_dockerfile_installs_from_the_lock(dockerfile) == []
    assert old in dockerfile, f"{old!r} is no longer in the Dockerfile; update this case"
    problems = check_dockerfile_installs_from_the_lock(dockerfile.replace(old, new, 1))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(("old", "new", "expected"), [case[1:] for case in BROKEN_DOCKERFILE],
                         ids=[case[0] for case in BROKEN_DOCKERFILE])
def test_a_broken_dockerfile_is_caught(compose, dockerfile, old, new, expected):
    api_command = argv(services(compose)["api"])
    assert old in dockerfile, f"{old!r} is no longer in the Dockerfile; update this case"
    problems = check_dockerfile(dockerfile.replace(old, new, 1), api_command)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(("text", "expected"), [
    (".git\nvar/\n", ".dockerignore does not exclude .venv"),
    (".venv\nvar\n.git\nmigrations/\n", "excludes migrations"),
    (".venv\nvar\n.git\n*.py\n", "excludes celeryconfig.py"),
], ids=["venv shipped", "migrations left out", "python files left out"])
def test_a_broken_dockerignore_is_caught(text, expected):
    assert any(expected in p for p in check_dockerignore(text)), check_dockerignore(text)


def test_yaml_merge_keys_give_every_app_service_the_shared_environment():
    text = "x-app: &app\n  build: .\n  environment: {A: '1'}\nservices:\n  s:\n    <<: *app\n"
    assert environment(load_compose(text)["services"]["s"]) == {"A": "1"}

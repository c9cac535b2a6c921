"""`reconcile up`: run the API, workers, beat, Flower and the simulator under one parent.

A child that dies is started again (reconcile/restarts.py says when, and when to give up
and stop everything). Ctrl-C (or SIGTERM) stops every child; children also die with the
parent (Linux PR_SET_PDEATHSIG), so nothing is left behind even if the supervisor is killed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click

from reconcile.commands import beat_argv, worker_argv
from reconcile.config import embedded_database_url, embedded_redis_socket, var_dir
from reconcile.restarts import RestartPolicy, describe_exit
from reconcile.vocabulary import Role

POLL_SECONDS = 0.5


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: stop() still ends every child on Ctrl-C or SIGTERM


@dataclass
class Supervisor:
    env: dict[str, str]
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    argvs: dict[str, list[str]] = field(default_factory=dict)
    # Children that exited, and when (monotonic seconds) each is due to start again.
    due: dict[str, float] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str]) -> None:
        # Own process group: Ctrl-C reaches only the supervisor, which stops children in
        # order instead of racing them.
        self.argvs[name] = argv
        self.children[name] = subprocess.Popen(
            argv, env=self.env, preexec_fn=_die_with_parent, start_new_session=True
        )

    def wait(self) -> int:
        """Restart children that exit until a signal arrives (KeyboardInterrupt) or one keeps
        exiting; return the exit code for the latter."""
        while True:
            now = time.monotonic()
            for name, proc in self.children.items():
                code = proc.poll()
                if code is None or name in self.due:
                    continue
                delay = self.policy.on_exit(name, now)
                if delay is None:
                    click.echo(f"reconcile up: {name} {describe_exit(code)}, "
                               f"{self.policy.max_exits} times in "
                               f"{self.policy.window_seconds:g} s; stopping everything", err=True)
                    return code if code > 0 else 1
                click.echo(f"reconcile up: {name} {describe_exit(code)}; restarting it in "
                           f"{delay:g} s", err=True)
                self.due[name] = now + delay
            for name, at in list(self.due.items()):
                if now >= at:
                    del self.due[name]
                    self.spawn(name, self.argvs[name])
                    click.echo(f"reconcile up: restarted {name} "
                               f"(pid {self.children[name].pid})", err=True)
            time.sleep(POLL_SECONDS)

    def stop(self) -> None:
        for proc in self.children.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 15
        for proc in self.children.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for cleanup in reversed(self.cleanups):
            cleanup()


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_up(*, workers: int, demo: bool, api_port: int, sim_port: int, flower_port: int,
           flower: bool, sim: bool) -> int:
    env = dict(os.environ)
    env.setdefault("RECONCILE_VAR_DIR", str(var_dir()))
    # Beat's schedule and the demo keys live here whichever services are used.
    var_dir().mkdir(parents=True, exist_ok=True)
    sup = Supervisor(env=env)
    if not env.get("REDIS_URL"):
        from reconcile.embedded import start_embedded_redis

        socket_path = embedded_redis_socket()
        redis_proc = start_embedded_redis(socket_path)
        sup.cleanups.append(lambda: _stop_process(redis_proc))
        env["REDIS_URL"] = f"redis+socket://{socket_path}"
        click.echo(f"embedded Redis on {socket_path}")
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = embedded_database_url()
        click.echo(f"embedded database {env['DATABASE_URL']}")
    if sim and not env.get("RECONCILE_PLATFORM_BASE_URL"):
        env["RECONCILE_PLATFORM_BASE_URL"] = f"http://127.0.0.1:{sim_port}"
    os.environ.update(env)

    def _stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Installed explicitly: a shell starting us in the background may have ignored SIGINT.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        from reconcile.persistence.migrate import upgrade

        upgrade(env["DATABASE_URL"])
        py = sys.executable
        if sim:
            sup.spawn("sim", [py, "-m", "reconcile.cli", "sim", "--port", str(sim_port)])
        sup.spawn("api", [py, "-m", "gunicorn", "--workers", "2", "--threads", "4",
                          "--bind", f"127.0.0.1:{api_port}",
                          "--log-level", "warning", "api:create_app()"])
        sup.spawn("worker", worker_argv(workers, python=py, events=True))
        sup.spawn("beat", beat_argv(python=py, loglevel="WARNING"))
        if flower:
            sup.spawn("flower", flower_argv(py, flower_port))
            if not env.get("FLOWER_BASIC_AUTH"):
                click.echo("Flower has no password: set FLOWER_BASIC_AUTH=user:password")
        if demo:
            _print_demo(api_port)
        click.echo(f"reconcile is up: API http://127.0.0.1:{api_port}  (Ctrl-C stops everything)")
        return sup.wait()
    except KeyboardInterrupt:
        click.echo("reconcile up: stopping", err=True)
        return 0
    finally:
        sup.stop()


def flower_argv(py: str, port: int) -> list[str]:
    """Flower on localhost. FLOWER_BASIC_AUTH (user:password[,user:password]) reaches it
    through the environment, which Flower reads itself: on the command line the password
    would show in every local user's `ps`."""
    return [py, "-m", "celery", "-A", "tasks", "flower", f"--port={port}", "--address=127.0.0.1"]


def _print_demo(api_port: int) -> None:
    import json

    from reconcile.services.admin.demo import seed_demo

    seeded = seed_demo()
    keys_file = var_dir() / "demo-keys.json"
    keys_file.write_text(json.dumps(seeded, indent=2))
    keys_file.chmod(0o600)
    click.echo("demo data (keys also in var/demo-keys.json):")
    for user in seeded["users"]:
        click.echo(f"  {user['role']:<9} {user['name']:<16} {user['api_key']}")
    affiliate = next(u for u in seeded["users"] if u["role"] == Role.AFFILIATE)
    body = json.dumps({
        "campaign_id": seeded["campaign_id"], "platform": "youtube",
        "url": "https://youtu.be/dQw4w9WgXcQ", "claimed_views": 1600,
        "claimed_clicks": 50, "claimed_conversions": 5,
    })
    click.echo("try a submission:")
    click.echo(
        f"  curl -s -X POST http://127.0.0.1:{api_port}/api/v1/submissions "
        f"-H 'Authorization: Bearer {affiliate['api_key']}' "
        f"-H 'Content-Type: application/json' -d '{body}'"
    )

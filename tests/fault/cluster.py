"""A private cluster for fault tests: Redis, database, simulator, API, workers, beat.

Each piece is its own process pointed at this cluster's own Redis port, database and rules,
so killing any of them disturbs nothing outside the test module that started it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import redis
import requests

from reconcile.config import ENV_VARS
from tests.conftest import free_port, wait_for
from tests.fault import parts
from tests.fault.broker import Broker
from tests.fault.processes import Service
from tests.fault.simulator import Simulator


class Cluster:
    """Start with `start()`; `close()` stops and reaps everything it started."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.database_url, self._drop_database = parts.new_database(root)
        self.sim_port, self.api_port = free_port(), free_port()
        self.broker = Broker(free_port())
        self.sim = Simulator(f"http://127.0.0.1:{self.sim_port}")
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        (root / "rules.toml").write_text(parts.RULES)
        # Nothing of the test session's own configuration (webhooks included) leaks in.
        base = {k: v for k, v in os.environ.items()
                if k not in ENV_VARS and not k.startswith("RECONCILE_")}
        self.env = {
            **base, "DATABASE_URL": self.database_url, "REDIS_URL": self.broker.url,
            "RECONCILE_PLATFORM_BASE_URL": self.sim.url,
            "RECONCILE_RULES": str(root / "rules.toml"), "RECONCILE_VAR_DIR": str(root / "var"),
            "LOG_LEVEL": "INFO", "LOG_FORMAT": "json",
        }
        self.redis: Service | None = None
        self.services: dict[str, Service] = {}
        self.workers: dict[str, Service] = {}

    def _spawn(self, name: str, argv: list[str]) -> Service:
        service = Service(name, argv, self.env, self.root / f"{name}.log")
        self.services[name] = service
        return service

    def start(self, workers: int = 0, concurrency: int = 2, beat: bool = False) -> Cluster:
        """Start everything at once (start-up is mostly imports), then wait for each part."""
        self.start_redis()
        migrate = subprocess.Popen([parts.PY, "-m", "reconcile.cli", "migrate"], env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sim = self._spawn("sim", parts.sim_argv(self.sim_port))
        api = self._spawn("api", parts.api_argv(self.api_port))
        _, errors = migrate.communicate(timeout=120)
        assert migrate.returncode == 0, f"reconcile migrate: {errors[-2000:]}"
        names = [f"w{n}" for n in range(1, workers + 1)]
        for name in names:
            self.workers[name] = self._spawn(name, parts.worker_argv(name, concurrency))
        if beat:
            self._spawn("beat", parts.beat_argv(self.root / "beat-schedule"))
        wait_for(lambda: self._answers(sim, f"{self.sim.url}/_sim/calls"), 30, 0.1,
                 what="the simulator")
        wait_for(lambda: self._answers(api, f"{self.api_url}/readyz"), 60, 0.1, what="the API")
        self._wait_for_workers(names)
        return self

    @staticmethod
    def _answers(service: Service, url: str) -> bool:
        if not service.alive():
            raise AssertionError(f"{service.name} exited:\n{service.output()}")
        return requests.get(url, timeout=1).ok

    def start_redis(self) -> None:
        """Start (or restart, on the same port) the cluster's Redis, empty."""
        self.redis = Service("redis", parts.redis_argv(self.broker.port, self.root), self.env,
                             self.root / "redis.log")
        server, client = self.redis, redis.Redis(port=self.broker.port, socket_connect_timeout=1)

        def answers() -> bool:
            if not server.alive():
                raise AssertionError(f"Redis exited:\n{server.output()}")
            return bool(client.ping())

        wait_for(answers, 15, what="Redis")
        client.close()

    def stop_redis(self) -> None:
        assert self.redis is not None
        self.redis.stop()

    def start_workers(self, names: list[str], concurrency: int = 2) -> None:
        """Start worker processes side by side, then wait until each answers a ping."""
        for name in names:
            self.workers[name] = self._spawn(name, parts.worker_argv(name, concurrency))
        self._wait_for_workers(names)

    def _wait_for_workers(self, names: list[str]) -> None:
        def answered() -> bool:
            for name in names:
                if not self.workers[name].alive():
                    raise AssertionError(f"worker {name} exited:\n{self.workers[name].output()}")
            return self.broker.ping(names) == len(names)

        if names:
            wait_for(answered, 60, 0.2, what=f"workers {', '.join(names)}")

    def stop_worker(self, name: str) -> int | None:
        return self.workers.pop(name).stop(timeout=60)

    def running_attempt(self, report_id: int) -> tuple[str, int] | None:
        """Return (worker, pool process id) running an attempt of the report now, if any."""
        return next(iter(self.broker.attempts_in_flight(list(self.workers), report_id)), None)

    def cli(self, *args: str) -> str:
        """Run `reconcile ARGS` against this cluster and return its standard output."""
        done = subprocess.run([sys.executable, "-m", "reconcile.cli", *args], env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"reconcile {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout

    def admin_key(self, email: str) -> str:
        out = self.cli("users", "create", "--role", "ADMIN", "--name", "Admin", "--email", email)
        return str(json.loads(out)["api_key"])

    def close(self) -> None:
        self.broker.close()
        everything = [*self.services.values(), *([self.redis] if self.redis else [])]
        for service in everything:  # all at once, then wait: warm shutdowns overlap
            service.terminate()
        for service in everything:
            service.stop(timeout=30)
        self._drop_database()

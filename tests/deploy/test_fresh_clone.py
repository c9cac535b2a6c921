"""A new user's first minutes on real services: a fresh clone, `make run` with DATABASE_URL
and REDIS_URL set, then the README's tour, command by command, then Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, descendants, free_port, process_alive, wait_for
from tests.deploy.services import OwnRedis, new_database
from tests.deploy.system import clean_env

pytestmark = pytest.mark.deploy

# Creating the virtualenv and installing into it is most of the wait.
INSTALL_AND_START_SECONDS = 420


def tour_commands(readme: str, ports: dict[int, int]) -> list[str]:
    """Return the shell blocks of the README's tour, pointed at this test's ports."""
    tour = readme.split("## A 5-minute tour", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", tour, flags=re.S)
    for default, port in ports.items():
        blocks = [b.replace(f"127.0.0.1:{default}", f"127.0.0.1:{port}") for b in blocks]
    return blocks


def _sh(script: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{script}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    if not (ROOT / ".git").exists():
        pytest.fail("the deploy tests clone the repository: run them from a git checkout")
    target = tmp_path / "reconcile"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True, timeout=60)
    return target


@pytest.fixture
def services(tmp_path: Path) -> Iterator[dict[str, str]]:
    redis_server = OwnRedis(tmp_path)
    redis_server.start()
    url, _, drop = new_database("postgresql")  # the form every host hands out
    try:
        yield {"DATABASE_URL": url, "REDIS_URL": redis_server.url}
    finally:
        redis_server.close()
        drop()


@pytest.mark.timeout(INSTALL_AND_START_SECONDS + 120)
def test_make_run_on_a_fresh_clone_with_real_services_runs_the_readme_tour(clone, services):
    ports = {8000: free_port(), 8081: free_port(), 5555: free_port()}
    up_args = f"--api-port {ports[8000]} --sim-port {ports[8081]} --flower-port {ports[5555]}"
    env = clean_env(**services)
    env.pop("VIRTUAL_ENV", None)  # as from a new terminal: the clone makes its own
    log = clone.parent / "make-run.log"
    with open(log, "wb") as out:
        make = subprocess.Popen(["make", "run", f"UP_ARGS={up_args}"], cwd=clone, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{ports[8000]}"
    try:
        def up() -> bool:
            if make.poll() is not None:
                raise AssertionError(f"make run exited:\n{log.read_text()[-6000:]}")
            return (clone / "var" / "demo-keys.json").exists() and \
                requests.get(f"{api}/readyz", timeout=2).ok

        wait_for(up, INSTALL_AND_START_SECONDS, 0.5, what="make run to come up")

        key, truth, submit, read, tracked, rate_card, linked, payout, handle = tour_commands(
            (clone / "README.md").read_text(), ports)
        _sh(truth, clone, env)
        answer = json.loads(_sh("\n".join([key, submit]), clone, env))
        assert answer["status"] == "PENDING" and answer["report_id"] == 1, answer

        def outcome() -> dict | None:
            report = json.loads(_sh("\n".join([key, read]), clone, env))
            return report if report["reconciliation"]["status"] != "PENDING" else None

        report = wait_for(outcome, 60, 0.2, what="the tour's claim to be reconciled")
        rec = report["reconciliation"]
        assert (rec["status"], rec["discrepancy_level"]) == ("AFFILIATE_OVERCLAIMED", "CRITICAL")

        # Tracked links: make one, click it as a browser, report a sale, read the link.
        # Then a post carrying the link, claiming what was counted (one shell: $CODE).
        printed = _sh("\n".join([key, tracked, rate_card, linked]), clone,
                      env).strip().splitlines()
        stats = json.loads(next(line for line in printed if '"clicks"' in line))
        assert (stats["clicks"]["counted"], stats["conversions"]["counted"]) == (1, 1), printed
        accepted = json.loads(printed[-1])
        headers = {"Authorization": "Bearer " + _sh(key + "\necho $KEY", clone, env).strip()}

        def linked_outcome() -> dict | None:
            got = requests.get(api + accepted["links"]["report"], headers=headers,
                               timeout=5).json()
            return got if got["reconciliation"]["status"] != "PENDING" else None

        linked_rec = wait_for(linked_outcome, 60, 0.2,
                              what="the linked claim to be reconciled")["reconciliation"]
        assert linked_rec["status"] == "MATCHED", linked_rec
        assert {m: (linked_rec["metrics"][m]["source"], linked_rec["metrics"][m]["observed"])
                for m in ("clicks", "conversions")} == {"clicks": ("tracked", 1),
                                                        "conversions": ("postback", 1)}

        # Earnings: the held entry is released, approved and paid; the statement pays 2550.
        advertiser = next(line for line in tracked.splitlines() if line.startswith("ADV="))
        printed_money = _sh("\n".join([key, advertiser, payout]), clone, env).strip()
        held, _ = json.JSONDecoder().raw_decode(printed_money)  # curl's answers run together
        paid = printed_money.splitlines()
        assert held["balances"] == [{"currency": "EUR", "pending": 0, "held": 2550,
                                     "approved": 0, "paid": 0, "clawback": 0}], held
        assert paid[-1].split(",")[2:5] == [str(held["affiliate_id"]), "EUR", "2550"], paid
        # The first claim carried owner_unverified: Ada had no verified handle. Prove one.
        assert "owner_unverified" in {f["name"] for f in report["suspicion_flags"]}
        verified = _sh("\n".join([key, handle]), clone, env).strip().splitlines()
        assert json.loads(verified[-1])["status"] == "verified", verified
    finally:
        running = descendants(make.pid) | {make.pid}
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)  # Ctrl-C in the terminal
            make.wait(90)
    try:
        wait_for(lambda: not [p for p in running if process_alive(p)], 30,
                 what="every process of make run to exit after Ctrl-C")
    finally:
        for pid in [p for p in running if process_alive(p)]:  # never leave one behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

"""Browser tests: the app under a real HTTP server, driven by headless Chromium.

Chromium and its driver come from the system (Debian: `apt-get install chromium
chromium-driver`); CHROMIUM_BINARY and CHROMEDRIVER point elsewhere if needed. Without them
these tests skip with one line, except in CI (CI=true), where they fail, as the tests that
need PostgreSQL do.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.pages import Dashboard
from tests.browser.scene import Scene, make_scene
from tests.conftest import IN_CI, ROOT, free_port, wait_for

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000")


def missing_browser() -> str | None:
    """Say which of Chromium and its driver is missing, or None when both are there."""
    missing = [tool for tool in (CHROMIUM, CHROMEDRIVER) if not Path(tool).exists()]
    if not missing:
        return None
    return (f"needs Chromium and chromedriver ({', '.join(missing)} missing): "
            "apt-get install chromium chromium-driver")


@pytest.fixture(scope="session", autouse=True)
def _browser_installed() -> None:
    """Skip (or, in CI, fail) every browser test before any server starts for it."""
    # Session scope and autouse: pytest sets this up before the other fixtures, and one
    # cached outcome gives the summary a single line for the whole package.
    message = missing_browser()
    if message is None:
        return
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="package")
def quiet_dispatcher(stack: dict[str, str]) -> Iterator[Any]:
    """Record jobs instead of queueing them while this package runs: the tests run
    attempts themselves, and the queue panel then shows a known state."""
    from reconcile.dispatch import set_dispatcher
    from tests.integration.conftest import RecordingDispatcher

    recorder = RecordingDispatcher()
    set_dispatcher(recorder)
    yield recorder
    set_dispatcher(None)


@pytest.fixture(scope="package")
def scene(quiet_dispatcher: Any, simulator: str) -> Scene:
    return make_scene(simulator)


@pytest.fixture(scope="package")
def live_server(stack: dict[str, str], simulator: str, quiet_dispatcher: Any) -> Iterator[str]:
    """The API app behind a real HTTP server, in a thread of this process."""
    from werkzeug.serving import make_server

    from api import create_app

    server = make_server("127.0.0.1", free_port(), create_app({"TESTING": True}),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    wait_for(lambda: requests.get(f"{url}/healthz", timeout=1).ok, 10, what="live server")
    yield url
    server.shutdown()
    thread.join(10)


@pytest.fixture(scope="package")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield browser
    browser.quit()


@pytest.fixture
def dashboard(driver: Any, live_server: str) -> Iterator[Dashboard]:
    """The dashboard in a signed-out tab; fails the test on any script error or CSP refusal."""
    page = Dashboard(driver, live_server, ROOT / "test-artifacts")
    page.open_signed_out()
    yield page
    assert page.script_errors() == []

"""The dashboard as a test sees it: sign in, wait for a view, read tables and facts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT = 15
FAKE_FETCH = """
const real = window.fetch;
window.fetch = (input, init) => String(input) === %s
  ? Promise.resolve(new Response(%s, {status: %d, headers: {"Content-Type": "application/json"}}))
  : real(input, init);
"""
WIDTH = 1400


class Dashboard:
    def __init__(self, driver: Any, base_url: str, artifacts: Path) -> None:
        self.driver, self.base_url, self.artifacts = driver, base_url, artifacts

    def wait(self, predicate: Callable[[Any], Any], what: str) -> Any:
        return WebDriverWait(self.driver, TIMEOUT, poll_frequency=0.05).until(
            predicate, message=f"waiting for {what}")

    def view(self) -> str:
        return str(self.driver.execute_script("return document.body.dataset.view"))

    def wait_view(self, name: str) -> None:
        self.wait(lambda d: self.view() == name, f"the {name} view")

    def open_signed_out(self) -> None:
        self.driver.get(f"{self.base_url}/dashboard")
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.get(f"{self.base_url}/dashboard")
        self.wait_view("sign-in")
        self.driver.get_log("browser")  # start each test with an empty console

    @contextmanager
    def answering(self, path: str, status: int, body: Any) -> Iterator[None]:
        """Make the page's fetch of `path` get this answer (reloads the page signed out):
        for API states this server cannot be put in, like a route another release adds."""
        script = FAKE_FETCH % (json.dumps(path), json.dumps(json.dumps(body)), int(status))
        added = self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                            {"source": script})
        try:
            self.open_signed_out()
            yield
        finally:
            self.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                        {"identifier": added["identifier"]})

    def sign_in(self, key: str, view: str) -> None:
        box = self.driver.find_element(By.ID, "api-key")
        box.clear()
        box.send_keys(key)
        self.driver.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
        self.wait_view(view)

    def find(self, css: str) -> Any:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[Any]:
        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    # Reads go through one script each: a panel re-drawing its table between two
    # WebDriver calls cannot leave a test holding a stale element.
    def read(self, css: str) -> str | None:
        return self.driver.execute_script(
            "const n = document.querySelector(arguments[0]); return n && n.innerText.trim()", css)

    def cell(self, table: str, row: str | int, col: str) -> str | None:
        return self.read(f'#{table} tr[data-row="{row}"] [data-col="{col}"]')

    def rows(self, table: str) -> list[str]:
        return list(self.driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map((r) => r.dataset.row)",
            f"#{table} tbody tr[data-row]"))

    def fact(self, key: str, within: str = "body") -> str | None:
        return self.read(f'{within} [data-key="{key}"] dd')

    def panel_states(self, within: str) -> dict[str, str]:
        """Each panel's state, with its status line when it failed."""
        return dict(self.driver.execute_script(
            "return Object.fromEntries([...document.querySelectorAll(arguments[0])].map((p) =>"
            " [p.id, p.dataset.state === 'error' ? 'error: ' + p.querySelector('.status')"
            ".innerText : p.dataset.state]))", f"#{within} section.panel"))

    def text(self) -> str:
        return str(self.read("body"))

    def storage(self) -> dict[str, Any]:
        return dict(self.driver.execute_script(
            "return {session: {...sessionStorage}, local: {...localStorage}, url: location.href}"))

    def screenshot(self, name: str) -> Path:
        """Save the whole page under test-artifacts/ (kept by CI as an artifact)."""
        self.artifacts.mkdir(exist_ok=True)
        # The window's size includes its frame: add that to the page's height.
        height = int(self.driver.execute_script(
            "window.scrollTo(0, 0); return document.documentElement.scrollHeight"
            " + window.outerHeight - window.innerHeight"))
        self.driver.set_window_size(WIDTH, min(max(height, 800), 8000))
        path = self.artifacts / f"dashboard-{name}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(WIDTH, 1000)
        return path

    def script_errors(self) -> list[str]:
        """Console errors other than refused requests (a 401 or 404 is the page's business)."""
        return [e["message"] for e in self.driver.get_log("browser")
                if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]]

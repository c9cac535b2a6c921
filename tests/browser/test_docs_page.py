"""The docs page renders the API under its Content-Security-Policy, in a real browser, and
authorising with a key leaves nothing in the browser's storage."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def test_the_docs_page_renders_every_route_without_a_policy_refusal(
    driver: Any, live_server: str, scene: Any
) -> None:
    driver.get(f"{live_server}/api/v1/docs")
    WebDriverWait(driver, 20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) > 20,
        message="Swagger UI listing the operations")

    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    driver.find_element(By.CSS_SELECTOR, "button.authorize").click()
    box = WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".auth-container input"))
    key = scene.users["admin"]["api_key"]
    box.send_keys(key)
    driver.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
    stored = driver.execute_script(
        "return JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})")
    assert key not in stored and "authorized" not in stored
    driver.refresh()  # a reload starts signed out: nothing carried the key over
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"))
    assert driver.find_elements(By.CSS_SELECTOR, "button.authorize.unlocked")

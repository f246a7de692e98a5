"""The page in a real browser: Debian's Chromium, headless, driven by selenium (no browser download).

Screenshots are kept in test-artifacts/browser/ for a person to look at.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_web import server  # noqa: F401 -- a real `r2p-search serve` process on a free port

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM or not DRIVER:
        pytest.skip("Chromium and its driver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,900")
    try:
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    except Exception as exc:  # a driver that does not match the browser, a missing library
        version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
        pytest.skip(f"Chromium ({version}) could not be started by {DRIVER}: {str(exc).splitlines()[0]}")
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: object, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))  # type: ignore[attr-defined]


def no_alert(driver: object) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert  # type: ignore[attr-defined]  # noqa: B018
    except NoAlertPresentException:
        return True
    return False


def test_search_follow_similar_and_draw_the_timeline(browser: object, server: tuple) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    base = server[0]
    driver = browser
    driver.get(base + "/")  # type: ignore[attr-defined]
    box = driver.find_element(By.ID, "q")  # type: ignore[attr-defined]
    box.send_keys("famine and drought threaten the harvests")
    box.submit()
    hits = driver.find_elements(By.CSS_SELECTOR, "li.hit")  # type: ignore[attr-defined]
    assert hits and "famine" in driver.current_url  # type: ignore[attr-defined]  # the URL holds the query
    assert hits[0].find_elements(By.TAG_NAME, "mark")
    copy = hits[0].find_element(By.CSS_SELECTOR, "button.copy")
    assert copy.is_displayed()  # app.js ran under the page's Content-Security-Policy
    shot(driver, "1-search")
    hits[0].find_element(By.LINK_TEXT, "similar passages").click()
    assert "/similar/" in driver.current_url  # type: ignore[attr-defined]
    assert driver.find_elements(By.CSS_SELECTOR, "li.hit")  # type: ignore[attr-defined]
    shot(driver, "2-similar")
    driver.back()  # type: ignore[attr-defined]
    assert driver.find_elements(By.CSS_SELECTOR, "li.hit")  # type: ignore[attr-defined]
    driver.find_element(By.LINK_TEXT, "Timeline").click()  # type: ignore[attr-defined]
    bars = driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")  # type: ignore[attr-defined]
    assert bars and bars[0].size["height"] > 0
    shot(driver, "3-timeline")


def test_script_in_a_document_shows_as_text_and_runs_nothing(browser: object, server: tuple) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    base = server[0]
    driver = browser
    for path in ("/?q=delegation+insists+famine", "/passage/evil/script:1", "/passage/evil/img:1"):
        driver.get(base + path)  # type: ignore[attr-defined]
        assert no_alert(driver), path
        text = driver.find_element(By.TAG_NAME, "main").text  # type: ignore[attr-defined]
        assert "<script>alert(1)</script>" in text or "<img src=x onerror=alert(1)>" in text, path
        assert not driver.find_elements(By.CSS_SELECTOR, "main img, main script")  # type: ignore[attr-defined]
    shot(driver, "4-script-as-text")


def test_readable_at_360_pixels(browser: object, server: tuple) -> None:  # noqa: F811
    base = server[0]
    driver = browser
    driver.set_window_size(360, 800)  # type: ignore[attr-defined]
    driver.get(base + "/?q=protect+civilians+Libya")  # type: ignore[attr-defined]
    width = driver.execute_script("return document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    inner = driver.execute_script("return window.innerWidth")  # type: ignore[attr-defined]
    assert width <= inner, (width, inner)  # nothing wider than the screen: no sideways scrolling
    shot(driver, "5-narrow")

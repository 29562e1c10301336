"""Serve the app, open every page in headless Chromium, and keep a screenshot of each.

Skips with a reason when Chromium or its driver is missing (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator

import pytest

from src.core.demos import DEMOS
from src.core.settings import ARTIFACTS_DIR, ROOT
from tests.servers import free_port, serving

pytestmark = pytest.mark.e2e
SHOTS = ARTIFACTS_DIR / "screenshots"
# Deep links first, on a fresh server: the first visit must already get the app's own navigation.
PAGES = {**{d.slug: d.url_path for d in DEMOS}, "model-cards": "model-cards", "home": ""}
TITLES = {**{d.slug: d.title for d in DEMOS}, "model-cards": "Model cards", "home": None}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port),
               "--server.headless", "true"]
    base = f"http://127.0.0.1:{port}"
    with serving(command, f"{base}/_stcore/health", lambda body: body == b"ok", cwd=ROOT, env=env):
        yield base


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("headless Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1400,2200"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def _charts_drawn(driver) -> bool:
    """True when every Plotly chart on the page has drawn its SVG (charts paint after the script ends)."""
    from selenium.webdriver.common.by import By

    charts = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stPlotlyChart"]')
    return all(chart.find_elements(By.CSS_SELECTOR, "svg.main-svg") for chart in charts)


# Anything on screen that says "not finished yet": the running-script widget, spinners and skeletons.
BUSY = '[data-testid="stStatusWidget"], [data-testid="stSpinner"], [data-testid="stSkeleton"]'
# The app root reports the script's run state; "notRunning" means the last run ended.
SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _settled(driver) -> bool:
    """True when the script ended, an h1 exists, nothing is busy and every chart has drawn."""
    from selenium.webdriver.common.by import By

    return bool(driver.find_elements(By.CSS_SELECTOR, SCRIPT_DONE) and driver.find_elements(By.CSS_SELECTOR, "h1")
                and not driver.find_elements(By.CSS_SELECTOR, BUSY) and _charts_drawn(driver))


SETTLED_POLLS = 3


def _wait_rendered(driver, timeout: float = 120) -> None:
    """Wait until the page has been settled for three polls in a row.

    One poll is not enough: a spinner only shows once its block has run for a moment, so a page can
    look settled for a fraction of a second before it starts.
    """
    deadline = time.time() + timeout
    streak = 0
    while time.time() < deadline:
        streak = streak + 1 if _settled(driver) else 0
        if streak == SETTLED_POLLS:
            time.sleep(0.5)  # let the last paint land before the screenshot
            return
        time.sleep(0.5)
    raise AssertionError("page did not finish rendering")


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_in_chromium(server, browser, name):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/{PAGES[name]}")
    _wait_rendered(browser)
    heading = " ".join(h.text for h in browser.find_elements(By.CSS_SELECTOR, "h1"))
    if TITLES[name]:
        assert TITLES[name] in heading
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]'), "exception box on page"
    navigation = browser.find_element(By.CSS_SELECTOR, '[data-testid="stSidebarNav"]').text
    assert all(d.title in navigation for d in DEMOS), f"not the app's navigation: {navigation!r}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{name}.png"))
    assert (SHOTS / f"{name}.png").stat().st_size > 10_000

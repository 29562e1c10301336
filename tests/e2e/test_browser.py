"""Serve the app, open every page in headless Chromium, and keep a screenshot of each.

Skips with a reason when Chromium or its driver is missing (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from src.core.demos import DEMOS
from src.core.settings import ARTIFACTS_DIR, ROOT

pytestmark = pytest.mark.e2e
SHOTS = ARTIFACTS_DIR / "screenshots"
PAGES = {"home": "", **{d.slug: d.url_path for d in DEMOS}, "model-cards": "model-cards"}
TITLES = {"home": None, **{d.slug: d.title for d in DEMOS}, "model-cards": "Model cards"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not become healthy in 90 s")
    yield base
    proc.terminate()
    proc.wait(timeout=20)


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


def _wait_rendered(driver, timeout: float = 90) -> None:
    """Wait until the script finished: an h1 exists and no 'running' indicator is left."""
    from selenium.webdriver.common.by import By

    deadline = time.time() + timeout
    while time.time() < deadline:
        titles = driver.find_elements(By.CSS_SELECTOR, "h1")
        running = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
        if titles and not running and _charts_drawn(driver):
            time.sleep(1.0)  # let the last paint settle before the screenshot
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
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{name}.png"))
    assert (SHOTS / f"{name}.png").stat().st_size > 10_000

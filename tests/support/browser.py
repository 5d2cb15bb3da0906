"""Headless Chromium for the browser tests (Debian's chromium and chromium-driver, driven by selenium).

    with chromium(offline=True) as driver:   # offline: every host but 127.0.0.1 fails to resolve
        driver.get(url)
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parent.parent.parent
#: Where the browser tests leave their screenshots (the README shows some of them).
SCREENSHOTS = ROOT / "bench" / "screenshots"

needs_chromium = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="needs chromium and chromium-driver (apt-get install chromium chromium-driver)")

#: Chromium's resolver answers only for the loopback address: a page that reaches for a CDN gets no answer.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@contextlib.contextmanager
def chromium(*, offline: bool = False, size: tuple[int, int] = (1400, 1000),
             downloads: Path | None = None) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dxkb-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(argument)
    if offline:
        options.add_argument(OFFLINE)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    if downloads is not None:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver: Any, name: str, width: int = 1400) -> Path:
    """A full-page PNG in bench/screenshots/ (the window grows to the page's height, then shrinks back)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = driver.get_window_size()
    height = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
    driver.set_window_size(width, min(max(height + 140, 600), 6000))
    time.sleep(0.2)
    target = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(target))
    driver.set_window_size(before["width"], before["height"])
    return target


def remote_requests(driver: Any, origin: str) -> list[str]:
    """The resources the page loaded from anywhere but ``origin`` (there should be none)."""
    urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [u for u in urls if not u.startswith(origin) and not u.startswith("data:")]


def console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]

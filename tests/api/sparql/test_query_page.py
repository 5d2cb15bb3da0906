"""The query page in a real browser (headless Chromium): pick an example, run it, read the result table.

Needs the Debian packages chromium and chromium-driver (.ci/run installs them); skipped when they are missing.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                                reason="needs chromium and chromium-driver (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dxkb-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(driver, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(server.sparql)
    wait = WebDriverWait(driver, 20)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "body[data-ready='true']")))
    return wait


def test_example_query_runs_and_fills_the_table(browser, sparql_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    wait = open_page(browser, sparql_server)
    assert "PREFIX dxkb: <https://w3id.org/dxkb/vocab#>" in browser.find_element(By.ID, "query").get_property("value")
    example = wait.until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, "button.example[data-name='01_causes_of_finding']")))
    assert "Causes of a finding" in example.text
    example.click()
    assert "VALUES ?finding { HP:0000988 }" in browser.find_element(By.ID, "query").get_property("value")
    assert "Result columns" in browser.find_element(By.ID, "example-description").text
    browser.find_element(By.ID, "run").click()
    wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#results tbody tr")))
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#results thead th")]
    assert headers[:2] == ["disease", "diseaseLabel"] and "frequency" in headers
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")]
    column = {name: index for index, name in enumerate(headers)}
    leukemia = [r for r in rows if r[column["disease"]] == "MONDO:0005059" and r[column["frequency"]] == "0.05"]
    assert leukemia and leukemia[0][column["diseaseLabel"]] == "Leukemia"
    assert any(r[column["disease"]] == "DXKB:0000001" for r in rows)  # viral exanthem
    assert "rows in" in browser.find_element(By.ID, "status").text


def test_errors_are_shown_not_swallowed(browser, sparql_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    wait = open_page(browser, sparql_server)
    editor = browser.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys("SELECT ?x WHERE { ?x ?y }")
    browser.find_element(By.ID, "run").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "Error 400"))
    assert "malformed query" in browser.find_element(By.ID, "status").text
    assert not browser.find_element(By.ID, "results").is_displayed()


def test_construct_example_shows_the_graph(browser, sparql_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    wait = open_page(browser, sparql_server)
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button.example[data-name='07_disease_graph']"))).click()
    browser.find_element(By.ID, "run").click()
    wait.until(EC.visibility_of_element_located((By.ID, "graph")))
    assert '"Leukemia"' in browser.find_element(By.ID, "graph").text
    assert browser.find_element(By.CSS_SELECTOR, "button.download[data-format='turtle']").is_enabled()
    assert not browser.find_element(By.CSS_SELECTOR, "button.download[data-format='csv']").is_enabled()


@pytest.mark.parametrize("fmt,extension,expected", [("csv", "csv", "disease,diseaseLabel"),
                                                     ("tsv", "tsv", "?disease\t?diseaseLabel"),
                                                     ("json", "srj", '"head"'), ("xml", "srx", "<sparql")])
def test_download_in_each_format(browser, sparql_server, downloads, fmt, extension, expected):
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    wait = open_page(browser, sparql_server)
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button.example[data-name='01_causes_of_finding']"))).click()
    target = downloads / f"dxkb-result.{extension}"
    target.unlink(missing_ok=True)
    browser.find_element(By.CSS_SELECTOR, f"button.download[data-format='{fmt}']").click()
    deadline = time.monotonic() + 15
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert target.exists(), sorted(p.name for p in downloads.iterdir())
    text = target.read_text()
    assert expected in text and "MONDO_0005059" in text

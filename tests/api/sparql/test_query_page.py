"""The query page in a real browser (headless Chromium): YASGUI's editor and result table, served by this server
(no CDN: the browser resolves no host but 127.0.0.1). Pick an example, run it, read the result table; page through
a long result; complete prefixes and the knowledge base's terms; see errors; download every format.

Needs the Debian packages chromium and chromium-driver (.ci/install installs them); skipped when they are missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.support.browser import chromium, console_errors, needs_chromium, remote_requests, screenshot

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[object]:
    with chromium(offline=True, size=(1400, 1000), downloads=downloads) as driver:
        yield driver


def set_query(driver, text: str) -> None:
    """Replace the editor's text (CodeMirror's public setValue, as a paste would)."""
    driver.execute_script("document.querySelector('#editor .CodeMirror').CodeMirror.setValue(arguments[0])", text)


def open_page(driver, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(server.sparql)
    wait = WebDriverWait(driver, 20)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "body[data-ready='true']")))
    assert driver.find_element(By.CSS_SELECTOR, "body").get_attribute("data-editor") == "yasgui"
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
    set_query(browser, "SELECT ?x WHERE { ?x ?y }")
    assert browser.find_element(By.ID, "query").get_property("value") == "SELECT ?x WHERE { ?x ?y }"
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


def test_syntax_highlighting_and_a_long_result_in_pages(browser, sparql_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    wait = open_page(browser, sparql_server)
    console_errors(browser)  # drain the log of the earlier tests (one of them shows an error on purpose)
    keywords = {e.text for e in browser.find_elements(By.CSS_SELECTOR, "#editor .CodeMirror .cm-keyword")}
    assert {"PREFIX", "SELECT", "WHERE"} <= keywords  # the editor highlights SPARQL
    set_query(browser, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 120")
    browser.find_element(By.ID, "run").click()
    wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#results tbody tr")))
    assert "120 rows in" in browser.find_element(By.ID, "status").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")) == 50  # the first page of 50
    info = browser.find_element(By.CSS_SELECTOR, "#results .dataTables_info, #results .dt-info")
    assert "1 to 50 of 120" in info.text
    first_page = browser.find_element(By.CSS_SELECTOR, "#results tbody tr").text
    next_page = browser.find_element(By.CSS_SELECTOR, "#results .paginate_button.next, #results .dt-paging-button.next")
    next_page.click()
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#results .dataTables_info, #results .dt-info"),
                                                "51 to 100 of 120"))
    assert browser.find_element(By.CSS_SELECTOR, "#results tbody tr").text != first_page
    assert remote_requests(browser, sparql_server.base) == []  # YASGUI comes from this server
    assert console_errors(browser) == []
    screenshot(browser, "07-sparql-yasgui")


def test_completion_of_prefixes_and_of_the_knowledge_bases_terms(browser, sparql_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, sparql_server)
    set_query(browser, "")
    browser.find_element(By.CSS_SELECTOR, "#editor .CodeMirror").click()
    typed = browser.switch_to.active_element
    typed.send_keys("PREFIX dxk")
    typed.send_keys(Keys.CONTROL, " ")
    hints = WebDriverWait(browser, 10).until(
        lambda d: [h.text for h in d.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li")] or None)
    assert any(h.startswith("dxkb: <https://w3id.org/dxkb/vocab#>") for h in hints), hints
    typed.send_keys(Keys.ENTER)
    text = browser.find_element(By.ID, "query").get_property("value")
    assert text.startswith("PREFIX dxkb: <https://w3id.org/dxkb/vocab#>"), text

    typed.send_keys(Keys.END, Keys.ENTER, "SELECT * WHERE { ?x a dxkb:Dis")
    typed.send_keys(Keys.CONTROL, " ")
    hints = WebDriverWait(browser, 10).until(
        lambda d: [h.text for h in d.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li")] or None)
    assert "dxkb:Disease" in hints, hints  # a class of the dxkb ontology
    typed.send_keys(Keys.ENTER, " ; dxkb:freq")
    typed.send_keys(Keys.CONTROL, " ")
    hints = WebDriverWait(browser, 10).until(
        lambda d: [h.text for h in d.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li")] or None)
    assert "dxkb:frequency" in hints, hints  # a property in use (the endpoint's VoID statistics)
    typed.send_keys(Keys.ENTER)
    assert "?x a dxkb:Disease ; dxkb:frequency" in browser.find_element(By.ID, "query").get_property("value")

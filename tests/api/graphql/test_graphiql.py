"""GraphiQL at /graphql works offline: its page (api/graphql/static/) loads GraphiQL and React from this server
(/static/vendor, copied from the npm packages by .ci/vendor.sh), never from a CDN. A headless Chromium whose
resolver knows no host but 127.0.0.1 opens it, sees the editor and runs the example query."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.browser import chromium, console_errors, needs_chromium, remote_requests, screenshot
from tests.support.servers import LiveServer


def test_the_page_references_only_this_server(http: httpx.Client) -> None:
    page = http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") or s.startswith("data:") for s in sources), sources
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for source in sources:
        if source.startswith("/"):
            asset = http.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 100, source


@needs_chromium
def test_graphiql_renders_and_runs_a_query_with_the_network_off(live_server: LiveServer) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium(offline=True) as driver:
        # the network is off for the page: a CDN's host does not even resolve
        with pytest.raises(WebDriverException, match="ERR_NAME_NOT_RESOLVED"):
            driver.get("https://unpkg.com/graphiql@3.8.3/graphiql.min.js")
        driver.get(live_server.graphql_url)
        wait = WebDriverWait(driver, 30)
        editor = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror")))
        assert "diagnose" in editor.text
        driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".graphiql-response"), "Viral exanthem"))
        response = driver.find_element(By.CSS_SELECTOR, ".graphiql-response").text
        assert '"level": "ROUTINE"' in response  # CodeMirror shows only the lines in view
        assert remote_requests(driver, live_server.url) == []
        assert console_errors(driver) == []
        screenshot(driver, "06-graphiql-offline")

"""The clinician web app (api/web.py, api/static/app/) in a real browser: headless Chromium drives the source
document's four cases and one emergency through the page, as a person would (search, one-click answers, the
keyboard, a shared link), and checks what the page shows. Screenshots go to bench/screenshots/.

Needs the Debian packages chromium and chromium-driver (.ci/install installs them); skipped when they are missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.support.browser import ROOT, chromium, console_errors, needs_chromium, remote_requests, screenshot
from tests.support.servers import LiveServer
from tests.support.vignettes import RASH, RED_FLAGS, SUSPICIOUS_CBC

FEVER, PETECHIAE = "HP:0001945", "HP:0000967"
VENDOR = ROOT / "api" / "static" / "vendor"
VENDORED = {"graphiql": ["graphiql.min.js", "graphiql.min.css", "LICENSE"],
            "react": ["react.production.min.js", "react-dom.production.min.js", "react.LICENSE", "react-dom.LICENSE"],
            "yasgui": ["yasgui.min.js", "yasgui.min.css", "LICENSE"]}


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    """The session's server on the curated store (tests/api/conftest.py)."""
    return live_server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium(offline=True) as driver:  # the app needs nothing but its own server
        yield driver


# ------------------------------------------------------------------------------------------------ without a browser

def test_the_page_and_its_files_come_from_this_server(server):
    page = httpx.get(f"{server.url}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    local = [s for s in sources if s.startswith("/static/")]
    assert local and all(s.startswith(("/", "?", "#", "data:")) for s in sources), sources
    for asset in local + ["/static/app/api.js", "/static/app/case.js"]:
        assert httpx.get(f"{server.url}{asset}").status_code == 200, asset
    assert "not a diagnosis" in page.text  # the disclaimer is in the page itself, before any request


def test_the_vendored_libraries_are_the_locked_npm_packages_with_their_licences():
    """api/static/vendor/ is what .ci/vendor.sh copied from node_modules/: the versions of package-lock.json."""
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    versions = dict(line.split(" ") for line in (VENDOR / "VERSION").read_text().splitlines())
    assert set(versions) == {"graphiql", "react", "react-dom", "@zazuko/yasgui"}
    for name, version in versions.items():
        assert locked[f"node_modules/{name}"]["version"] == version, name
    for folder, names in VENDORED.items():
        for name in names:
            assert (VENDOR / folder / name).stat().st_size > 0, f"{folder}/{name}"


# ------------------------------------------------------------------------------------------------ helpers

def by(css: str):
    from selenium.webdriver.common.by import By

    return By.CSS_SELECTOR, css


def revision(driver) -> int:
    return int(driver.execute_script("return Number(document.body.dataset.revision || 0)"))


def settled(driver, after: int = -1):
    """Wait until the page shows the answer to a request sent after revision ``after``."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.body.dataset.state") in ("ready", "error")
        and revision(d) > after)
    error = driver.find_element(*by("#error"))
    assert not error.is_displayed(), error.text


def open_app(driver, server: LiveServer, query: str = "") -> None:
    driver.get(f"{server.url}/{query}")
    if query:
        settled(driver)
    else:
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.body.dataset.state") == "empty")


def add_finding(driver, text: str, label: str, *, absent: bool = False) -> None:
    """Type into the search box, wait for ``label`` among the suggestions, choose it with the keyboard."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    box = driver.find_element(*by("#finding-search"))
    box.clear()
    box.send_keys(text)
    WebDriverWait(driver, 20).until(lambda d: label in [e.text for e in d.find_elements(*by(".suggestion-label"))])
    labels = [e.text for e in driver.find_elements(*by(".suggestion-label"))]
    for _ in range(labels.index(label)):
        box.send_keys(Keys.ARROW_DOWN)
    before = revision(driver)
    box.send_keys(Keys.ALT, Keys.ENTER) if absent else box.send_keys(Keys.ENTER)
    settled(driver, before)


def answer(driver, finding: str, status: str) -> None:
    """One click on a next question's answer button."""
    before = revision(driver)
    driver.find_element(*by(f"#questions li[data-id='{finding}'] button[data-status='{status}']")).click()
    settled(driver, before)


def triage(driver) -> tuple[str, str]:
    return (driver.find_element(*by("#triage")).get_attribute("data-level"),
            driver.find_element(*by("#recommendation")).get_attribute("data-recommendation"))


def causes(driver) -> list[tuple[str, str, float]]:
    """(id, label, probability in %) of the ranked causes, as shown."""
    shown = []
    for row in driver.find_elements(*by("#causes > li.cause")):
        text = row.find_element(*by(".probability")).text.rstrip("%").lstrip("<")
        shown.append((row.get_attribute("data-id"), row.find_element(*by(".cause-label")).text, float(text)))
    return shown


def questions(driver) -> list[str]:
    return [li.get_attribute("data-id") for li in driver.find_elements(*by("#questions > li"))]


def steps_shown(driver) -> list[str]:
    return [li.find_element(*by("strong")).text for li in driver.find_elements(*by("#tests > li"))]


def rows(driver) -> dict[str, str]:
    """The case's findings as shown: id -> the checked status."""
    shown = {}
    for row in driver.find_elements(*by("#findings > li")):
        checked = [r.get_attribute("value") for r in row.find_elements(*by("input[type=radio]")) if r.is_selected()]
        shown[row.get_attribute("data-id")] = checked[0] if checked else ""
    return shown


def url_findings(driver) -> dict[str, list[str]]:
    return parse_qs(urlparse(driver.current_url).query)


def assert_disclaimer(driver) -> None:
    disclaimer = driver.find_element(*by("#disclaimer"))
    assert disclaimer.is_displayed() and "not a diagnosis" in disclaimer.text
    assert disclaimer.value_of_css_property("position") == "sticky"


# ------------------------------------------------------------------------------------------------ the cases

@needs_chromium
def test_the_interview_from_a_rash_to_a_suspicious_blood_count(browser, server):
    """The source document's cases 1-3 in one interview: a rash alone, then the red-flag questions answered
    "yes" with one click each, then the blood count found suspicious."""
    open_app(browser, server)
    assert_disclaimer(browser)

    # 1. Rash alone: the search finds it by a synonym; self care is not offered before the red-flag questions
    add_finding(browser, "rash", "Skin rash")
    assert rows(browser) == {RASH: "PRESENT"}
    assert url_findings(browser) == {"present": [RASH]}
    assert triage(browser) == ("ROUTINE", "ANSWER_QUESTIONS")
    assert "Red-flag questions not answered yet" in browser.find_element(*by("#triage-reasons")).text
    assert set(RED_FLAGS) <= set(questions(browser))
    red = browser.find_elements(*by("#questions li.red-flag"))
    assert {li.get_attribute("data-id") for li in red} >= set(RED_FLAGS)
    assert all("red flag" in li.text for li in red)
    top = causes(browser)
    assert top[0][1] == "Viral exanthem" and top[0][2] > 20
    assert "Leukemia" not in [label for _, label, _ in top[:3]]
    assert "Causes this knowledge base does not model" in browser.find_element(*by("#other-causes")).text
    assert_disclaimer(browser)
    screenshot(browser, "01-rash-alone")

    # 2. The red flags, answered one click at a time (the interview loop)
    for finding in RED_FLAGS:
        answer(browser, finding, "PRESENT")
    assert rows(browser) == {RASH: "PRESENT", **{f: "PRESENT" for f in RED_FLAGS}}
    assert url_findings(browser) == {"present": [RASH, *RED_FLAGS]}
    assert triage(browser) == ("ROUTINE", "FURTHER_TESTING")
    reasons = browser.find_element(*by("#triage-reasons")).text
    assert "Skin rash with reduced performance, weight loss or frequent infections" in reasons
    assert "Source:" in reasons
    top = causes(browser)
    assert top[0][:2] == ("MONDO:0005059", "Leukemia")
    assert "Complete blood count" in steps_shown(browser)
    blood_count = browser.find_element(*by("#tests > li[data-id='DXKB:0000203']"))
    assert blood_count.find_element(*by(".rationale")).text  # the rationale is shown
    # the evidence for leukemia: likelihood ratios as bars, the sources as links
    leukemia = browser.find_element(*by("#causes > li[data-id='MONDO:0005059']"))
    evidence = leukemia.find_elements(*by(".evidence-for .evidence-item"))
    assert {e.get_attribute("data-id") for e in evidence} == {RASH, *RED_FLAGS}
    for item in evidence:
        assert item.find_element(*by(".lr")).text.startswith("LR ")
        assert float(item.find_element(*by(".bar .fill")).value_of_css_property("width").rstrip("px")) > 0
        link = item.find_element(*by(".source a"))
        assert link.get_attribute("href").startswith("https://w3id.org/dxkb/source/")
    assert SUSPICIOUS_CBC in questions(browser)
    screenshot(browser, "02-red-flags")

    # 3. The blood count is suspicious: leukemia leads clearly, the bone-marrow biopsy is next, triage is urgent
    answer(browser, SUSPICIOUS_CBC, "PRESENT")
    assert triage(browser) == ("URGENT", "FURTHER_TESTING")
    top = causes(browser)
    assert top[0][1] == "Leukemia" and top[0][2] > 50
    assert "Bone marrow biopsy" in steps_shown(browser)
    assert_disclaimer(browser)
    screenshot(browser, "03-suspicious-blood-count")


@needs_chromium
def test_red_flags_absent_with_the_keyboard_only_and_the_link_reopens_the_case(browser, server):
    """Case 4 typed with the keyboard alone: "/" focuses the search, Enter adds a finding as present, Alt+Enter
    as absent. Self care. Then the page's URL, opened afresh, shows the same case and the same assessment."""
    from selenium.webdriver.common.action_chains import ActionChains

    open_app(browser, server)
    browser.find_element(*by("body")).click()
    ActionChains(browser).send_keys("/").perform()
    assert browser.switch_to.active_element.get_attribute("id") == "finding-search"
    add_finding(browser, "skin rash", "Skin rash")
    add_finding(browser, "fatigue", "Fatigue", absent=True)
    add_finding(browser, "weight loss", "Weight loss", absent=True)
    add_finding(browser, "recurrent infections", "Recurrent infections", absent=True)
    assert rows(browser) == {RASH: "PRESENT", **{f: "ABSENT" for f in RED_FLAGS}}
    assert triage(browser) == ("SELF_CARE", "WATCHFUL_WAITING")
    assert "Self care" in browser.find_element(*by("#triage-level")).text
    assert causes(browser)[0][1] == "Viral exanthem"
    assert [p for _, label, p in causes(browser) if label == "Leukemia"][0] < 1  # shown, far below 1%
    assert "Watchful waiting" in steps_shown(browser)
    assert_disclaimer(browser)
    screenshot(browser, "04-red-flags-absent")

    shared = browser.current_url
    assert url_findings(browser) == {"present": [RASH], "absent": RED_FLAGS}
    browser.get("about:blank")
    browser.get(shared)
    settled(browser)
    assert rows(browser) == {RASH: "PRESENT", **{f: "ABSENT" for f in RED_FLAGS}}
    labels = [e.text for e in browser.find_elements(*by("#findings .finding-label"))]
    assert labels == ["Skin rash", "Fatigue", "Weight loss", "Recurrent infections"]
    assert triage(browser) == ("SELF_CARE", "WATCHFUL_WAITING")

    # a status changed on its row: fatigue unknown (asked, not known: nothing changes), then present
    before = revision(browser)
    browser.find_element(*by(f"#findings li[data-id='{RED_FLAGS[0]}'] input[value='UNKNOWN']")).click()
    settled(browser, before)
    assert url_findings(browser)["unknown"] == [RED_FLAGS[0]]
    assert triage(browser) == ("SELF_CARE", "WATCHFUL_WAITING")
    before = revision(browser)
    browser.find_element(*by(f"#findings li[data-id='{RED_FLAGS[0]}'] input[value='PRESENT']")).click()
    settled(browser, before)
    assert url_findings(browser)["present"] == [RASH, RED_FLAGS[0]]
    assert triage(browser)[0] == "ROUTINE"


@needs_chromium
def test_an_emergency_petechiae_with_fever(browser, server):
    """A non-blanching rash with fever: the banner says emergency and names the rule and its source; the
    patient's age and sex go into the link."""
    from selenium.webdriver.support.ui import Select

    open_app(browser, server)
    add_finding(browser, "petech", "Petechiae")
    add_finding(browser, "fever", "Fever")
    before = revision(browser)
    age = browser.find_element(*by("#age"))
    age.send_keys("30")
    browser.find_element(*by("#sex")).click()  # the age is taken when the field loses the focus
    settled(browser, before)
    before = revision(browser)
    Select(browser.find_element(*by("#sex"))).select_by_value("FEMALE")
    settled(browser, before)
    assert url_findings(browser) == {"present": [PETECHIAE, FEVER], "age": ["30"], "sex": ["FEMALE"]}
    assert triage(browser) == ("EMERGENCY", "EMERGENCY_CARE")
    banner = browser.find_element(*by("#triage"))
    assert "Emergency" in banner.find_element(*by("h3")).text
    assert "level-EMERGENCY" in banner.get_attribute("class")
    assert banner.value_of_css_property("background-color") == "rgba(179, 38, 30, 1)"
    reasons = browser.find_element(*by("#triage-reasons")).text
    assert "Non-blanching rash with fever" in reasons and "NICE" in reasons
    assert "Emergency" in browser.find_element(*by("#explanation")).text
    assert_disclaimer(browser)
    assert remote_requests(browser, server.url) == []
    assert not [e for e in console_errors(browser) if "favicon" not in e]
    screenshot(browser, "05-emergency-petechiae-fever")


@needs_chromium
def test_search_by_synonym_and_unknown_ids_in_a_link(browser, server):
    open_app(browser, server)
    box = browser.find_element(*by("#finding-search"))
    box.send_keys("went away")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 20).until(lambda d: d.find_elements(*by(".suggestion")))
    first = browser.find_element(*by(".suggestion"))
    assert first.get_attribute("data-id") == "DXKB:0000103"
    assert "Rash went away on its own" in first.text  # the synonym that matched is shown
    box.clear()

    open_app(browser, server, f"?present={RASH}&present=HP:9999999")
    warnings = browser.find_element(*by("#warnings")).text
    assert "HP:9999999" in warnings
    assert triage(browser)[0] == "ROUTINE"


@needs_chromium
def test_the_care_setting_goes_into_the_request_and_the_link(browser, server):
    """Seen in a rare-disease clinic: the request carries the setting, the page says what its probabilities are
    (no open-world share), and a link reopens the case in that setting."""
    from selenium.webdriver.support.ui import Select

    open_app(browser, server, f"?present={RASH}")
    assert "does not model" in browser.find_element(*by("#other-causes")).text
    before = revision(browser)
    Select(browser.find_element(*by("#setting"))).select_by_value("RARE_DISEASE")
    settled(browser, before)
    assert url_findings(browser) == {"present": [RASH], "setting": ["RARE_DISEASE"]}
    assert "Rare-disease setting" in browser.find_element(*by("#other-causes")).text
    assert "Rare-disease setting" in browser.find_element(*by("#explanation")).text
    open_app(browser, server, f"?present={RASH}&setting=rare_disease")
    assert Select(browser.find_element(*by("#setting"))).first_selected_option.get_attribute("value") == "RARE_DISEASE"
    assert not [e for e in console_errors(browser) if "favicon" not in e]

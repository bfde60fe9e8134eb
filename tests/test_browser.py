"""End to end in real headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven
by Selenium) against ``kg serve`` in a subprocess: the journey of issue 5, the query editor, and
a record full of markup that must run no script.

Screenshots go to ``test-artifacts/screenshots/`` (the path is printed). Without Chromium the
tests are skipped with the reason, except under ``CI=true``, where its absence is a failure.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import BASE, EXAMPLE, PROJECT
from tests.web_support import XSS, XSS_PAPER_PATH, build_store, running_server

SCREENSHOTS = PROJECT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1280,1024"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(f"browser tests skipped: {reason}", allow_module_level=True)


try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - the test extra installs it
    _unavailable("the Python package selenium is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def screenshots(request: pytest.FixtureRequest) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():  # type: ignore[union-attr]
        print(f"\nbrowser screenshots: {SCREENSHOTS}")
    return SCREENSHOTS


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``kg serve`` over the bundled author page and the markup-filled record."""
    store = build_store(tmp_path_factory.mktemp("browser") / "store", [EXAMPLE, XSS], BASE)
    with running_server(store, BASE) as root:
        yield root


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, downloads: Path) -> Iterator[WebDriver]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        _unavailable(f"Chromium ({CHROMIUM}) or its driver ({CHROMEDRIVER}) is not installed "
                     "(apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS,
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    # Record alert() calls instead of blocking on them (scripts added this way run before the
    # page's own, whatever its Content-Security-Policy).
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
        "window.__alerts = []; for (const name of ['alert', 'confirm', 'prompt']) {"
        " window[name] = (message) => { window.__alerts.push(name + ': ' + message); }; }")})
    try:
        yield driver
    finally:
        driver.quit()


def shoot(browser: WebDriver, folder: Path, name: str) -> None:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(int(height), 800), 6000))
    browser.save_screenshot(str(folder / f"{name}.png"))
    browser.set_window_size(1280, 1024)


def wait_for(browser: WebDriver, by: str, value: str, seconds: float = 30) -> None:
    WebDriverWait(browser, seconds).until(
        expected_conditions.presence_of_element_located((by, value)))


def page_errors(browser: WebDriver) -> list[str]:
    """The browser console's errors (a blocked script or style would show here)."""
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE"]


def test_journey_from_home_to_a_coauthor_and_a_paper(browser: WebDriver, site: str,
                                                     screenshots: Path) -> None:
    browser.get(site + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "scholarly-kg"
    shoot(browser, screenshots, "01-home")
    box = browser.find_element(By.ID, "home-search-q")
    box.send_keys("Zhenguo Li", Keys.ENTER)
    wait_for(browser, By.ID, "people-heading")
    shoot(browser, screenshots, "02-search")
    browser.find_element(By.CSS_SELECTOR, "ul.people a").click()
    wait_for(browser, By.ID, "papers-heading")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Zhenguo Li"
    assert len(browser.find_elements(By.CSS_SELECTOR, "li.paper")) == 9
    assert browser.find_element(By.ID, "paper-count").text == "9"
    chart = browser.find_element(By.ID, "papers-per-year")
    assert chart.is_displayed() and chart.size["height"] > 100
    bars = chart.find_elements(By.CSS_SELECTOR, "rect")
    assert [bar.get_attribute("height") != "0" for bar in bars] == [True, True, True]
    assert browser.find_element(By.ID, "coauthor-graph").is_displayed()
    shoot(browser, screenshots, "03-person")
    browser.find_element(By.CSS_SELECTOR, "table.coauthors a").click()  # the most frequent
    wait_for(browser, By.ID, "papers-heading")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Han Shi"
    shoot(browser, screenshots, "04-coauthor")
    link = browser.find_element(By.CSS_SELECTOR, "li.paper .paper-title a")
    title = link.text
    link.click()
    wait_for(browser, By.ID, "cite")
    assert browser.find_element(By.TAG_NAME, "h1").text == title
    assert browser.find_elements(By.CSS_SELECTOR, 'meta[name="citation_author"]')
    assert "@inproceedings{" in browser.find_element(By.CSS_SELECTOR, "pre.bibtex").text
    shoot(browser, screenshots, "05-paper")
    assert page_errors(browser) == []


def test_query_editor_runs_an_example_and_downloads_csv(browser: WebDriver, site: str,
                                                        screenshots: Path,
                                                        downloads: Path) -> None:
    browser.get(site + "/editor")
    wait_for(browser, By.CSS_SELECTOR, ".CodeMirror")  # the editor took over the text area
    assert browser.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-keyword")  # highlighted
    browser.find_element(By.LINK_TEXT, "Co-authors with counts").click()
    wait_for(browser, By.ID, "result-table")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result-table tbody tr")
    assert len(rows) > 10
    cells = [cell.text for cell in rows[0].find_elements(By.TAG_NAME, "td")]
    assert cells[1] == "Han Shi" and cells[2].split()[0] == "4"
    assert "query=" in browser.current_url  # the shareable URL holds the query
    shoot(browser, screenshots, "06-editor")
    # run it again from the editor, with the keyboard
    browser.find_element(By.CSS_SELECTOR, ".CodeMirror textarea").send_keys(Keys.CONTROL,
                                                                             Keys.ENTER)
    wait_for(browser, By.ID, "result-table")
    for stale in downloads.glob("*"):
        stale.unlink()
    browser.find_element(By.CSS_SELECTOR, 'a.download[data-format="csv"]').click()
    deadline = time.monotonic() + 30
    while not list(downloads.glob("*.csv")) and time.monotonic() < deadline:
        time.sleep(0.1)
    saved = list(downloads.glob("*.csv"))
    assert saved, f"no CSV downloaded into {downloads}: {list(downloads.iterdir())}"
    lines = saved[0].read_text("utf-8").splitlines()
    assert lines[0] == "coauthor,name,papers"
    assert lines[1].endswith(",Han Shi,4")
    assert page_errors(browser) == []


XSS_PAGES = [f"/{XSS_PAPER_PATH}.html",
             "/person/mallory-img-src-x-onerror-window-xss-1-hacker.html",
             "/person/eve-title-script-window-xss-2-script-doe.html",
             "/volume/2024-proceedings-of-svg-onload-window-xss-3-injection-1867c30b.html",
             "/person/trudy-iframe-src-javascript-window-xss-4-iframe-editor.html",
             "/org/evil-press-script-window-xss-5-script.html",
             "/search?" + urlencode({"q": "script"}),
             "/editor?" + urlencode({"query": "SELECT ?name WHERE { ?s <http://schema.org/name>"
                                              " ?name FILTER (CONTAINS(?name, 'script')) }"})]


def test_markup_in_records_runs_no_script(browser: WebDriver, site: str,
                                          screenshots: Path) -> None:
    for path in XSS_PAGES:
        browser.get(site + path)
        wait_for(browser, By.TAG_NAME, "footer")
        assert browser.execute_script("return window.__alerts") == [], path
        assert browser.execute_script("return window.__xss === undefined"), path
        assert not browser.find_elements(By.CSS_SELECTOR, "main img, main iframe, main style")
    browser.get(site + f"/{XSS_PAPER_PATH}.html")
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading == '<script>alert(1)</script> Attacks "quoted" <b>bold</b>'
    with pytest.raises(TimeoutException):  # and no real dialog either
        WebDriverWait(browser, 0.5).until(expected_conditions.alert_is_present())
    shoot(browser, screenshots, "07-markup-paper")

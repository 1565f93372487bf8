"""The HTML report in a real browser: Debian's chromium driven through chromium-driver.

One browser session (conftest's `browser`) serves every browser test of the suite, which all
carry the "browser" xdist group so that they run in one worker. The tests skip, saying why,
when selenium or the browser is missing; .ci/run installs chromium and chromium-driver and sets
SUMMARIZE_BROWSER_TESTS=required, which turns that skip into a failure.
`UPDATE_SCREENSHOT=1 python3 -m pytest tests/test_html_browser.py` rewrites docs/report.png.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import BROWSER, ROOT, SEEDS, run_cli
from test_html import HOSTILE_ID, HOSTILE_TEXT, PAYLOAD, hostile_summary

SCREENSHOT = ROOT / "docs" / "report.png"
pytestmark = BROWSER

# What a citation shows, read in the page: the one <mark>, where it is, and what is active.
SHOWN = """
const marks = document.querySelectorAll("mark");
const mark = marks[0];
if (!mark) return {count: 0};
const box = mark.getBoundingClientRect();
const style = getComputedStyle(mark);
return {
  count: marks.length,
  text: mark.textContent,
  panel: mark.closest("[data-source-panel]").dataset.sourcePanel,
  inView: box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth,
  background: style.backgroundColor,
  focused: document.activeElement === mark,
  current: [...document.querySelectorAll('[aria-current="true"]')].map((a) => a.id),
};
"""


def open_page(browser, path: Path) -> str:
    """Load a report with the logs drained first, so they hold only this page's entries."""
    browser.get_log("browser")
    browser.get_log("performance")
    url = path.resolve().as_uri()
    browser.get(url)
    return url


def requests_sent(browser) -> list[str]:
    events = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
    return [
        e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
    ]


def console_problems(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] != "INFO"]


def citation_links(browser) -> list:
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, "a[data-source-id]")


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's demo, written as HTML by the command line (main(argv), from the root)."""
    report = tmp_path_factory.mktemp("demo") / "report.html"
    result = run_cli("seeds", "--replay", "fixtures", "-o", str(report))
    assert result.returncode == 0, result.stderr
    return report


def test_demo_report_every_citation_shows_its_exact_span(browser, demo_report) -> None:
    from selenium.webdriver.common.keys import Keys

    texts = {p.stem: p.read_text("utf-8") for p in SEEDS.glob("*.txt")}
    url = open_page(browser, demo_report)
    links = citation_links(browser)
    spans = browser.execute_script(
        "return [...document.querySelectorAll('a[data-source-id]')].map("
        "(a) => [a.id, a.dataset.sourceId, Number(a.dataset.start), Number(a.dataset.end)])"
    )
    assert len(links) == len(spans) > 40

    def check(shown: dict, dom_id: str, source_id: str, start: int, end: int) -> None:
        assert shown["count"] == 1, dom_id
        assert shown["text"] == texts[source_id][start:end], dom_id
        assert shown["panel"] == source_id, dom_id
        assert shown["inView"] and shown["focused"], dom_id
        assert shown["background"] not in ("rgba(0, 0, 0, 0)", "transparent")
        assert shown["current"] == [dom_id]

    # The first dozen as a user does it: a real click, or Enter on the focused link.
    for index, (link, span) in enumerate(zip(links[:12], spans, strict=False)):
        if index % 3 == 2:
            link.send_keys(Keys.ENTER)
        else:
            link.click()
        check(browser.execute_script(SHOWN), *span)
    # Then every link, activated from inside the page in one round trip.
    every = browser.execute_script(
        f"const shown = () => {{ {SHOWN} }};"
        "return [...document.querySelectorAll('a[data-source-id]')]"
        ".map((a) => { a.click(); return shown(); });"
    )
    for shown, span in zip(every, spans, strict=True):
        check(shown, *span)
    assert browser.current_url == url  # no navigation happened
    assert console_problems(browser) == []
    assert set(requests_sent(browser)) == {url}


def test_back_link_returns_to_the_footnote(browser, demo_report) -> None:
    from selenium.webdriver.common.by import By

    open_page(browser, demo_report)
    link = citation_links(browser)[20]
    link.click()
    source_id = link.get_attribute("data-source-id")
    panel = browser.find_element(By.CSS_SELECTOR, f'[data-source-panel="{source_id}"]')
    shown = panel.find_element(By.CSS_SELECTOR, ".shown").text
    assert shown == (
        f"Footnote {link.text}: characters {link.get_attribute('data-start')}–"
        f"{link.get_attribute('data-end')}"
    )
    panel.find_element(By.CSS_SELECTOR, "a.back").click()
    assert browser.execute_script("return document.activeElement.id") == link.get_attribute("id")
    assert console_problems(browser) == []


def test_hostile_article_runs_nothing(browser, tmp_path) -> None:
    page = tmp_path / "hostile.html"
    page.write_text(hostile_summary().to_html(), "utf-8")
    url = open_page(browser, page)
    assert browser.execute_script("return document.querySelector('h1').textContent") == PAYLOAD
    found = browser.execute_script(
        """return {
          pwned: window.__pwned,
          injected: document.querySelectorAll("img, svg, iframe, object, embed, form").length,
          scripts: document.scripts.length,
          handlers: [...document.querySelectorAll("*")].flatMap(
            (el) => [...el.attributes].map((a) => a.name).filter((n) => n.startsWith("on"))),
        };"""
    )
    assert found == {"pwned": None, "injected": 0, "scripts": 2, "handlers": []}
    for link in citation_links(browser):
        assert link.get_attribute("data-source-id") == HOSTILE_ID
        link.click()
        start, end = int(link.get_attribute("data-start")), int(link.get_attribute("data-end"))
        assert browser.execute_script(SHOWN)["text"] == HOSTILE_TEXT[start:end]
    assert browser.execute_script("return window.__pwned") is None
    assert console_problems(browser) == []  # a blocked script would log a CSP violation
    assert set(requests_sent(browser)) == {url}


def test_readable_at_phone_width_and_in_print(browser, demo_report) -> None:
    fits = "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    browser.set_window_size(390, 844)
    try:
        open_page(browser, demo_report)
        assert browser.execute_script(fits)
        citation_links(browser)[0].click()
        assert browser.execute_script(SHOWN)["inView"]
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        printed = browser.execute_script(
            """const sources = getComputedStyle(document.querySelector(".sources"));
            const text = getComputedStyle(document.querySelector("pre.text"));
            return [sources.position, sources.overflowY, text.maxHeight, text.overflowY,
                    getComputedStyle(document.querySelector(".back-line")).display];"""
        )
        assert printed == ["static", "visible", "none", "visible", "none"]  # nothing clipped
        assert browser.execute_script(fits)
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        browser.set_window_size(1366, 900)


def test_screenshot_of_the_demo(browser, demo_report) -> None:
    """Shows the first footnote opened; rewrites docs/report.png on request only."""
    open_page(browser, demo_report)
    citation_links(browser)[0].click()
    png = browser.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG")
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(png)
    assert SCREENSHOT.is_file(), "docs/report.png is missing: run with UPDATE_SCREENSHOT=1"

"""``callnext report`` end to end: a weekly HTML report of two weeks, opened in real headless
Chromium; the command's errors for bad dates and mixed options.

Set ``REPORT_SCREENSHOT=path.png`` to keep the screenshot (docs/images/report-week.png is one).
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from broker.report import Outputs, print_period_report
from callnext.cli import main
from config.load import effective_toml
from tests.broker.two_weeks import hall, write_two_weeks

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--window-size=1280,1000", "--hide-scrollbars")


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The two-week journal (closed: the broker has stopped) and its hall file."""
    folder = tmp_path_factory.mktemp("two-weeks")
    write_two_weeks(folder).journal.close()
    config = folder.parent / "hall.toml"
    config.write_text(effective_toml(hall()), encoding="utf-8")
    return folder, config


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
        pytest.skip("chromium and chromium-driver are not installed (make test-deps)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="callnext-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _rendered(browser: Any) -> list[dict[str, Any]]:
    """Each chart's drawn size, title and how many bars or dots it drew."""
    return list(browser.execute_script("""
        return Array.from(document.querySelectorAll('figure svg')).map(svg => {
            const box = svg.getBoundingClientRect();
            const title = svg.querySelector('.title');
            return {width: box.width, height: box.height,
                    title: title ? title.textContent : '',
                    marks: svg.querySelectorAll('.bar rect, .dots .dot, .line .dot').length};
        });"""))


def test_the_weekly_page_shows_its_charts_in_chromium(journal: tuple[Path, Path], tmp_path: Path,
                                                      browser: Any) -> None:
    folder, config = journal
    page = tmp_path / "week.html"
    assert print_period_report(config, folder, None, None, "week", Outputs(html=str(page))) == 0
    browser.get(page.as_uri())
    charts = _rendered(browser)
    assert [c["title"].split(" ")[0] for c in charts] == [
        "每小时取号（日均）", "各业务等候时间（分钟，目标", "各窗口满意率"]
    assert all(c["width"] > 400 and c["height"] > 150 for c in charts)
    assert all(c["marks"] > 0 for c in charts), charts
    headings = browser.execute_script(
        "return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
    assert "各周期合计 Totals per period" in headings and any(h.startswith("评价等级") for h in headings)
    text = browser.find_element("tag name", "body").text
    assert "2026-W48" in text and "2026-W49" in text and "满意率" in text
    _save_screenshot(browser, tmp_path / "week.png")
    pdf = base64.b64decode(browser.print_page())  # print-friendly: it lays out on paper
    assert pdf.startswith(b"%PDF")


def _save_screenshot(browser: Any, path: Path) -> None:
    height = int(browser.execute_script("return document.body.scrollHeight"))
    browser.set_window_size(1280, min(height + 40, 2200))
    assert browser.save_screenshot(str(path))
    keep = os.environ.get("REPORT_SCREENSHOT")
    if keep:
        shutil.copyfile(path, keep)


@pytest.mark.parametrize(("args", "says"), [
    (["--from", "25.11.2026"], "YYYY-MM-DD"),
    (["--date", "2026-11-25", "--by", "week"], "--from and --to"),
    (["--from", "2026-12-01", "--to", "2026-11-25"], "is after --to"),
    (["--from", "2027-01-01"], "no events from 2027-01-01 to 2026-12-04"),
])
def test_bad_options_are_clear_errors(journal: tuple[Path, Path], args: list[str], says: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder, config = journal
    try:
        status = main(["report", "--config", str(config), "--data", str(folder), *args])
    except SystemExit as exited:  # argparse refuses a malformed date itself
        status = int(exited.code or 0)
    assert status != 0
    error = capsys.readouterr().err
    assert says in error and "Traceback" not in error


def test_a_monthly_report_splits_at_the_month_end(journal: tuple[Path, Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder, config = journal
    assert main(["report", "--config", str(config), "--data", str(folder), "--by", "month"]) == 0
    out = capsys.readouterr().out
    assert "\n  2026-11 " in out and "\n  2026-12 " in out

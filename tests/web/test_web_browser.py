"""The console in real headless Chromium (selenium + Debian's chromium-driver) against a real
broker: sign in, call next from the keyboard, revive a 过号, and the hall page updating live
with an alert that sounds and is acknowledged. Screenshots go to docs/images/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from protocol.client import RequestClient
from tests import chromium
from tests.conftest import wait_for
from tests.web.web_fixtures import (CLERK, CLERK2, CLERK2_PIN, CLERK_PIN, MANAGER, MANAGER_PIN,
                                    Hall_)
from web.serve import BackgroundConsole

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium.available(), reason=chromium.MISSING),
]


@pytest.fixture(scope="module")
def url(hall_: Hall_) -> Iterator[str]:
    with BackgroundConsole(hall_.hall, hall_.runtime()) as console:
        yield console.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium.headless_chromium("--window-size=1280,1200",
                                    "--autoplay-policy=no-user-gesture-required",
                                    page_load_s=20) as driver:
        yield driver


def _sign_in(driver: Any, url: str, staff: str, pin: str, counter: str | None) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.delete_all_cookies()
    driver.get(url)
    driver.find_element(By.ID, "staff").send_keys(staff)
    driver.find_element(By.ID, "pin").send_keys(pin)
    Select(driver.find_element(By.ID, "counter")).select_by_value(counter or "")
    driver.find_element(By.ID, "submit").click()
    assert wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "body[data-views]"), 15)


def _row(driver: Any, selector: str) -> str:
    """The text of a row the page redraws on every view, read in one step (never stale)."""
    return str(driver.execute_script(
        "const row = document.querySelector(arguments[0]); return row ? row.textContent : '';",
        selector))


def _click(driver: Any, selector: str) -> bool:
    """Click an element the page may redraw meanwhile; False to retry."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        driver.find_element(By.CSS_SELECTOR, selector).click()
    except (NoSuchElementException, StaleElementReferenceException):
        return False
    return True


def _text(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, element_id).text)


def test_a_clerk_signs_in_calls_next_by_keyboard_and_revives_a_no_show(
        browser: Any, url: str, hall_: Hall_) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _sign_in(browser, f"{url}/counter", CLERK, CLERK_PIN, "1")
    call = browser.find_element(By.CSS_SELECTOR, "button[data-op=call_next]")
    assert not call.is_enabled()  # nobody waiting: the view says so
    with RequestClient(hall_.commands, "kiosk-1") as kiosk:
        first = kiosk.request("issue_ticket", {"service": "reimburse"})["ticket"]
        second = kiosk.request("issue_ticket", {"service": "reimburse"})["ticket"]
    assert wait_for(call.is_enabled, 10)  # live, from the event stream
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.SPACE)
    assert wait_for(lambda: _text(browser, "serving") == first, 10)
    assert hall_.snapshot()["counters"]["1"]["serving"] == first
    browser.find_element(By.CSS_SELECTOR, "button[data-op=no_show]").click()
    revive = f"#no-shows button[data-ticket={first}]"
    assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, revive), 10)
    assert wait_for(lambda: _click(browser, revive), 10)
    assert wait_for(lambda: not browser.find_elements(By.CSS_SELECTOR, revive), 10)
    assert hall_.snapshot()["counters"]["1"]["no_shows"] == []
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.SPACE)
    assert wait_for(lambda: _text(browser, "serving") == second, 10)
    # Shift+R is the slow repeat (a recall with slow: true), said done in its own words.
    slow = browser.find_element(By.ID, "recall-slow")
    assert "慢速重呼" in slow.text and slow.is_enabled()
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.SHIFT, "r")
    assert wait_for(lambda: "慢速重呼" in _text(browser, "message"), 10)
    IMAGES.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(IMAGES / "console-counter.png"))
    # A refusal shows the broker's words in the page's language, not a code.
    browser.find_element(By.ID, "ct-ticket").send_keys("A999")
    browser.find_element(By.ID, "ct-reason").send_keys("急诊")
    browser.find_element(By.CSS_SELECTOR, "button[data-op=call_ticket]").click()
    message = "#message.bad"
    assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, message), 10)
    words = _text(browser, "message")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in words) and "unknown_ticket" not in words


def test_the_hall_page_updates_live_and_an_alert_is_acknowledged(
        browser: Any, url: str, hall_: Hall_) -> None:
    from selenium.webdriver.common.by import By

    _sign_in(browser, url + "/", MANAGER, MANAGER_PIN, None)
    with httpx.Client(base_url=url, timeout=10) as clerk:
        login = clerk.post("/api/login", json={"staff": CLERK2, "pin": CLERK2_PIN, "counter": 2})
        csrf = {"X-CSRF-Token": login.json()["csrf"]}
        row = "#counters tr[data-counter='2']"
        assert wait_for(lambda: CLERK2 in _row(browser, row), 10)
        with RequestClient(hall_.commands, "kiosk-1") as kiosk:
            for _ in range(12):  # past queue_alert_waiting (10) in the example hall
                kiosk.request("issue_ticket", {"service": "general"})
        assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#alerts li.fresh"), 10)
        assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "body[data-alerts]"), 10)
        called = clerk.post("/api/counters/2/call_next", json={}, headers=csrf).json()
        ticket = called["result"]["ticket"]
        assert wait_for(lambda: ticket in _row(browser, row), 10)
    browser.save_screenshot(str(IMAGES / "console-hall.png"))
    assert wait_for(lambda: _click(browser, "#alerts li.fresh button"), 10)
    assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#alerts li.acked"), 10)


def test_the_hall_page_merges_changes_an_alert_comes_and_goes(
        browser: Any, url: str, hall_: Hall_) -> None:
    """After the whole view, the page gets only what changed and merges it: a device fault's
    alert appears worded and leaves when the fault clears (a null entry of ``alerts``)."""
    from selenium.webdriver.common.by import By

    _sign_in(browser, url + "/", MANAGER, MANAGER_PIN, None)
    item = "#alerts li[data-key='node:kiosk-1/printer']"
    changes = int(browser.find_element(By.TAG_NAME, "body").get_attribute("data-changes") or 0)
    with RequestClient(hall_.commands, "kiosk-1") as kiosk:
        kiosk.request("report_health", {"component": "printer", "status": "fault",
                                        "message": "paper_out"})
        assert wait_for(lambda: _row(browser, item), 10)
        assert "kiosk-1" in _row(browser, item) and "node_fault" not in _row(browser, item)
        kiosk.request("report_health", {"component": "printer", "status": "ok", "message": ""})
        assert wait_for(lambda: not browser.find_elements(By.CSS_SELECTOR, item), 10)
    merged = browser.find_element(By.TAG_NAME, "body").get_attribute("data-changes")
    assert int(merged or 0) >= changes + 2  # both came as changes, not whole views

"""The city view in real headless Chromium: a city manager signs in and sees two halls side
by side, in Chinese and after the switch in English; the screenshot goes to docs/images/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import chromium
from tests.central_pg import central_dsn, pg
from tests.conftest import wait_for
from tests.web.test_city import _hall, city_dsn
from tests.web.web_fixtures import MANAGER, MANAGER_PIN, Hall_
from web.serve import BackgroundConsole

__all__ = ["central_dsn", "city_dsn", "pg"]  # fixtures

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium.available(), reason=chromium.MISSING),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium.headless_chromium("--window-size=1000,900", page_load_s=20) as driver:
        yield driver


def _table(driver: Any) -> str:
    return str(driver.execute_script("return document.getElementById('city').innerText;"))


def test_the_city_page_shows_the_halls_side_by_side(
        hall_: Hall_, city_dsn: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    with BackgroundConsole(_hall(hall_, city_dsn, (MANAGER,)), hall_.runtime()) as console:
        browser.delete_all_cookies()
        browser.get(console.url + "/city?from=2026-12-02&lang=zh")
        browser.find_element(By.ID, "staff").send_keys(MANAGER)
        browser.find_element(By.ID, "pin").send_keys(MANAGER_PIN)
        browser.find_element(By.ID, "submit").click()
        assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "body[data-loaded]"), 15)
        table = _table(browser)
        assert "hall-east" in table and "hall-west" in table and "满意率" in table
        assert "66.7%" in table and "全市" in table
        IMAGES.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(IMAGES / "console-city.png"))
        browser.find_element(By.CSS_SELECTOR, "a.lang").click()
        assert wait_for(lambda: "Satisfaction" in _table(browser), 15)
        assert "66.7%" in _table(browser)  # the switch kept the chosen day

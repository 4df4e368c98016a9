"""The visitor's phone page in real headless Chromium, phone-sized (390×844, DevTools device emulation),
against a real broker: the printed ticket's QR code (escpos bytes → raster → zxing-cpp) leads
to the page, which shows the place, turns to "请到 N号窗口" on a call, and offers the rating
after the visit. Screenshots go to docs/images/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp

from config.kiosk_node import KioskNode, KioskPrinter
from kiosk.issuing import ticket_doc
from kiosk.ticket import compose_ticket
from protocol.client import RequestClient
from protocol.results import TicketIssued
from tests.conftest import wait_for
from tests.kiosk.kiosk_escpos_decoder import decode
from tests import chromium
from tests.web.web_fixtures import Hall_
from web.serve import BackgroundConsole

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
PHONE_UA = ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36")
WAIT_S = 10.0
"""Longest wait for the page to show a change (bounded; no timing is asserted)."""

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not chromium.available(), reason=chromium.MISSING)]


@pytest.fixture(scope="module")
def console(hall_: Hall_) -> Iterator[BackgroundConsole]:
    with BackgroundConsole(hall_.hall, hall_.runtime()) as running:
        yield running


@pytest.fixture(scope="module")
def phone() -> Iterator[Any]:
    with chromium.headless_chromium("--window-size=390,844") as driver:
        # A 390×844 phone: Chrome DevTools' device emulation (viewport, touch, user agent).
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
        driver.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": PHONE_UA})
        yield driver


def printed_qr(hall_: Hall_, public_url: str, result: dict[str, Any]) -> str:
    """The URL in the QR code of the ticket a kiosk prints for ``result``."""
    hall = hall_.hall.model_copy(update={"web": hall_.hall.web.model_copy(
        update={"public_url": public_url})})
    settings = KioskPrinter(qr="image", chinese="image", paper_width_mm=80)
    doc = ticket_doc(hall, KioskNode(id="kiosk-1", printer=settings),
                     TicketIssued.model_validate(result))
    printed = decode(compose_ticket(doc, settings))
    found = [r.text for img in printed.rasters for r in zxingcpp.read_barcodes(img.convert("L"))]
    assert len(found) == 1, found
    return found[0]


def shows(driver: Any, element: str, text: str) -> bool:
    from selenium.webdriver.common.by import By

    return wait_for(lambda: text in driver.find_element(By.ID, element).text, WAIT_S)


def test_scan_follow_the_call_and_rate_on_a_phone(hall_: Hall_, console: BackgroundConsole,
                                                  phone: Any) -> None:
    from selenium.webdriver.common.by import By

    with RequestClient(hall_.commands, "kiosk-1") as kiosk:
        kiosk.request("issue_ticket", {"service": "reimburse"})
        result = kiosk.request("issue_ticket", {"service": "reimburse"})
    url = printed_qr(hall_, console.url + "/", result)
    assert url == f"{console.url}/t/{result['track']}"
    phone.get(url)
    assert shows(phone, "number", result["ticket"])
    assert shows(phone, "headline", f"前面还有 {result['ahead']} 人")
    assert "ahead of you" in phone.find_element(By.ID, "headline-en").text
    assert not phone.get_cookies()
    IMAGES.mkdir(parents=True, exist_ok=True)
    phone.save_screenshot(str(IMAGES / "phone-waiting.png"))

    hall_.admin.request("call_ticket", {"counter": 2, "ticket": result["ticket"],
                                        "reason": "phone test"})
    assert shows(phone, "headline", "请到 2号窗口")
    assert "Please go to Counter 2" in phone.find_element(By.ID, "headline-en").text
    phone.save_screenshot(str(IMAGES / "phone-called.png"))

    hall_.admin.request("start", {"counter": 2})
    assert shows(phone, "headline", "正在办理")
    hall_.admin.request("finish", {"counter": 2})
    assert shows(phone, "headline", "办理完毕")
    assert wait_for(lambda: phone.find_element(By.ID, "rating").is_displayed(), WAIT_S)
    phone.save_screenshot(str(IMAGES / "phone-rating.png"))
    phone.find_element(By.CSS_SELECTOR, "#levels button[data-score='2']").click()
    assert wait_for(lambda: phone.find_element(By.ID, "reasons").is_displayed(), WAIT_S)
    phone.find_element(By.CSS_SELECTOR, "#reasons button[data-reason='efficiency']").click()
    assert shows(phone, "rating-message", "感谢您的评价")
    case = f"{hall_.snapshot()['day']}".replace("-", "") + "-" + result["ticket"]
    assert wait_for(lambda: any(c["id"] == case and c["reason"] == "efficiency"
                                for c in hall_.snapshot()["cases"].values()), WAIT_S)

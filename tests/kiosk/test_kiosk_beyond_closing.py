"""延时服务 at the kiosk: the issued screen says the expected time is after closing exactly
when the broker's result says so (the kiosk's own hall file is never consulted for it)."""

from __future__ import annotations

from pathlib import Path

from broker.journal import Journal
from broker.service import BrokerService
from config.kiosk_node import KioskNode
from config.schema import Hall
from hw.printer import MemoryPrinter
from kiosk.controller import KioskController
from kiosk.issuing import IssueFlow
from kiosk.presenter import KioskPresenter
from kiosk.screens import Screen
from protocol.view import PublicView
from kiosk_support import InProcess
from tests.conftest import at, small_hall

NOW = at("18:05")
# The small hall's general line: an empty line's first ticket is expected 200 s after issue.
EXPECTED = "18:08"


def _issued_against(broker_hall: Hall, tmp_path: Path) -> Screen:
    service = BrokerService(broker_hall, Journal(tmp_path / "journal.sqlite3"), lambda: NOW)
    service.tick()
    node = KioskNode(id="kiosk-1")
    kiosk_hall = small_hall()  # open around the clock: it could not tell closing time
    flow = IssueFlow(kiosk_hall, node, InProcess(service), MemoryPrinter())
    controller = KioskController(KioskPresenter(kiosk_hall, node), flow, now=lambda: NOW)
    controller.set_connected(True)
    controller.set_view(PublicView.parse(service.snapshot()["view"]))
    controller.press("service:general")
    return controller.screen()


def _words(screen: Screen) -> str:
    return " ".join([t.primary for t in screen.body] + [t.secondary for t in screen.body])


def test_the_issued_screen_tells_the_expected_time_after_closing(tmp_path: Path) -> None:
    closes_soon = small_hall(hours={"days": ["wed"], "periods": [{"start": "08:30",
                                                                  "end": "18:06"}]})
    screen = _issued_against(closes_soon, tmp_path)
    assert screen.name == "issued"
    words = _words(screen)
    assert f"预计办理时间 {EXPECTED}，已超过今日办公时间" in words
    assert f"Expected time {EXPECTED}, after today's closing time" in words


def test_no_word_of_closing_when_the_broker_expects_service_in_hours(tmp_path: Path) -> None:
    screen = _issued_against(small_hall(), tmp_path)
    assert screen.name == "issued" and "已超过今日办公时间" not in _words(screen)

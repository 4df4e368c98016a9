"""What a visitor reads when the broker refuses a ticket: the case itself, in both languages.

The real broker service (rules, refusal mapping, journal, reply codec) answers
the kiosk's issue flow in-process; only the socket is left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.journal import Journal
from broker.rules.issuing import MAX_NUMBER
from broker.service import BrokerService
from config.kiosk_node import KioskNode
from config.schema import Hall
from hw.printer import MemoryPrinter
from kiosk.controller import KioskController
from kiosk.issuing import IssueFlow
from kiosk.presenter import KioskPresenter
from kiosk_support import InProcess
from tests.conftest import at


@pytest.fixture
def kiosk(hall: Hall, tmp_path: Path) -> tuple[KioskController, BrokerService]:
    service = BrokerService(hall, Journal(tmp_path / "journal.sqlite3"), lambda: at("09:00"))
    node = KioskNode(id="kiosk-1")
    flow = IssueFlow(hall, node, InProcess(service), MemoryPrinter())
    controller = KioskController(KioskPresenter(hall, node), flow, now=lambda: at("09:00"))
    controller.set_connected(True)
    return controller, service


def _words(controller: KioskController) -> list[str]:
    screen = controller.screen()
    return [t.primary for t in screen.body] + [t.secondary for t in screen.body]


def test_a_walk_in_whose_numbers_ran_out_is_told_so(
        kiosk: tuple[KioskController, BrokerService]) -> None:
    controller, service = kiosk
    service.tick()  # the day has begun: numbering is not reset under the visitor
    service.state.next_number["general"] = MAX_NUMBER
    controller.press("service:general")
    assert controller.mode == "notice"
    words = _words(controller)
    assert "综合业务今日号码已用完，请咨询工作人员" in words
    assert "All numbers of General are used today; please ask a member of staff" in words
    assert not any("checked in" in w or "签到" in w for w in words)


def test_a_booking_checked_in_twice_is_told_its_ticket(
        kiosk: tuple[KioskController, BrokerService]) -> None:
    controller, service = kiosk
    InProcess(service).request("book_appointment", {
        "code": "BK-0001", "service": "general", "start": "2026-11-25T09:10",
        "end": "2026-11-25T09:40"})
    controller.press("appointment")
    controller.type_text("BK-0001\n")
    assert controller.mode == "issued"
    controller.press("home")
    controller.press("appointment")
    controller.type_text("BK-0001\n")
    assert controller.mode == "appointment"
    assert controller.code_message == ("该预约已签到取号（A001）",
                                       "This booking has already been checked in (A001)")


def test_a_short_code_is_worded_by_the_catalogue(
        kiosk: tuple[KioskController, BrokerService]) -> None:
    controller, _ = kiosk
    controller.press("appointment")
    controller.type_text("12\n")
    assert controller.code_message == ("预约码至少 4 位", "A booking code has at least 4 characters")

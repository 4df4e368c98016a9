"""The kiosk says what the broker publishes: whether ticketing is open, and wait minutes.

Both used to be worked out at the kiosk: the after-hours decision from the kiosk's own
copy of the hall file, wait minutes rounded to nearest (the wall display rounded up,
so an 8.3-minute estimate read 9 on the wall and 8 at the kiosk).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from broker.journal import Journal
from broker.rules.estimates import wait_minutes
from broker.service import BrokerService
from config.display_node import DisplayNode
from config.kiosk_node import KioskNode
from config.schema import Hall
from display.presenter import BoardPresenter
from hw.printer import MemoryPrinter
from kiosk.controller import KioskController
from kiosk.issuing import IssueFlow, ticket_doc
from kiosk.presenter import IssuedTicket, KioskPresenter
from kiosk.screens import Screen
from kiosk.ticket import ticket_lines
from protocol.results import TicketIssued
from protocol.view import PublicView
from kiosk_support import InProcess
from tests.conftest import at, small_hall

WORKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"],
            "periods": [{"start": "08:30", "end": "17:00"}]}
EVENING = at("18:05")  # a Wednesday: the next opening is Thursday 08:30


def _words(screen: Screen) -> str:
    return " ".join([t.primary for t in screen.body] + [t.secondary for t in screen.body]
                    + [a.detail for a in screen.actions])


def _kiosk_against(kiosk_hall: Hall, broker_hall: Hall, tmp_path: Path) -> KioskController:
    """A kiosk built on ``kiosk_hall`` showing the view of a broker that runs ``broker_hall``
    (a hall file changed on the broker and not yet on the kiosk), at 18:05."""
    service = BrokerService(broker_hall, Journal(tmp_path / "journal.sqlite3"), lambda: EVENING)
    service.tick()  # the day starts: the view carries ticketing
    node = KioskNode(id="kiosk-1")
    flow = IssueFlow(kiosk_hall, node, InProcess(service), MemoryPrinter())
    controller = KioskController(KioskPresenter(kiosk_hall, node), flow, now=lambda: EVENING)
    controller.set_connected(True)
    controller.set_view(PublicView.parse(service.snapshot()["view"]))
    return controller


def test_the_kiosk_closes_when_the_broker_refuses_tickets_whatever_its_own_hall_file_says(
        tmp_path: Path) -> None:
    controller = _kiosk_against(small_hall(), small_hall(after_hours="refuse", hours=WORKDAYS),
                                tmp_path)
    screen = controller.screen()
    assert screen.name == "closed"
    assert "明天 08:30" in _words(screen) and "tomorrow at 08:30" in _words(screen)
    controller.press("service:general")
    assert controller.screen().name == "closed"


def test_on_a_holiday_kiosk_and_display_say_closed_today_and_when_to_come(tmp_path: Path) -> None:
    holiday_hall = small_hall(hours={**WORKDAYS, "holidays": ["2026-10-01..2026-10-07"]})
    morning = at("09:00", "2026-10-02")
    service = BrokerService(holiday_hall, Journal(tmp_path / "journal.sqlite3"), lambda: morning)
    service.tick()
    view = PublicView.parse(service.snapshot()["view"])
    node = KioskNode(id="kiosk-1")
    flow = IssueFlow(holiday_hall, node, InProcess(service), MemoryPrinter())
    controller = KioskController(KioskPresenter(holiday_hall, node), flow, now=lambda: morning)
    controller.set_connected(True)
    controller.set_view(view)
    words = _words(controller.screen())
    assert "今日休息" in words and "Closed today" in words
    assert "10月8日（周四）08:30" in words and "Thu 08 Oct at 08:30" in words
    board = BoardPresenter(holiday_hall, DisplayNode(id="display-1")).present(
        view, connected=True, now=morning, monotonic=0.0)
    assert board.banner is not None and board.banner.kind == "closed"


def test_the_kiosk_issues_when_the_broker_is_open_whatever_its_own_hall_file_says(
        tmp_path: Path) -> None:
    controller = _kiosk_against(small_hall(after_hours="refuse", hours=WORKDAYS), small_hall(),
                                tmp_path)
    screen = controller.screen()
    assert screen.name == "home"
    assert "不在办公时间" not in _words(screen)
    controller.press("service:general")
    assert controller.screen().name == "issued"


def _view_with_estimate(hall: Hall, estimate_min: float) -> PublicView:
    """The view as the broker publishes it: ``wait_min`` by the broker's own rule."""
    services: dict[str, Any] = {
        s.id: {"id": s.id, "prefix": s.prefix, "waiting": 4, "estimate_min": estimate_min,
               "wait_min": wait_minutes(estimate_min), "open_counters": [1, 2]}
        for s in hall.services}
    return PublicView.parse({"day": "2026-11-25", "services": services})


def test_wall_kiosk_and_printed_ticket_say_the_same_wait_minutes() -> None:
    hall = small_hall()
    view = _view_with_estimate(hall, 8.3)
    assert wait_minutes(8.3) == 9
    board = BoardPresenter(hall, DisplayNode(id="display-1")).present(
        view, connected=True, now=at("09:00"), monotonic=0.0)
    general = next(line for line in board.services if line.service == "general")
    assert general.wait_zh == "约9分钟"
    presenter = KioskPresenter(hall, KioskNode(id="kiosk-1"))
    assert "约 9 分钟" in _words(presenter.home(view, "zh", at("09:00")))
    result = TicketIssued(ticket="A005", service="general", kind="walkin", ahead=4,
                          estimate_min=8.3, wait_min=9, issued_at=at("09:00"),
                          expected_at=at("09:00") + 498, late=False, after_hours=False)
    issued = presenter.issued(IssuedTicket.from_result(result), "zh", at("09:00"))
    assert "预计等候约 9 分钟" in _words(issued)
    printed = [line.text for line in ticket_lines(ticket_doc(hall, KioskNode(id="kiosk-1"),
                                                             result)) if line is not None]
    assert "预计等候约 9 分钟" in printed and "Estimated wait: about 9 min" in printed

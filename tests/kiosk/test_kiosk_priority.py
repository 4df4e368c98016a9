"""A priority visitor picks a category on the kiosk; the ticket, screen and voice name it.

The example hall (categories, the priority service "优先办理") and the real broker service
answer in-process; only the socket is left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.journal import Journal
from broker.service import BrokerService
from config.example import example_path
from config.load import load_hall
from hw.audio import RecordingAudio
from hw.printer import MemoryPrinter
from hw.speech import EspeakSpeech
from kiosk.controller import KioskController
from kiosk.issuing import IssueFlow
from kiosk.presenter import KioskPresenter
from kiosk.speech import TicketSpeaker
from kiosk_escpos_decoder import decode
from kiosk_support import InProcess
from tests.conftest import at


@pytest.fixture
def kiosk(tmp_path: Path) -> tuple[KioskController, BrokerService, MemoryPrinter]:
    hall = load_hall(example_path())
    service = BrokerService(hall, Journal(tmp_path / "journal.sqlite3"), lambda: at("09:00"))
    node = hall.kiosks[0]
    printer = MemoryPrinter()
    flow = IssueFlow(hall, node, InProcess(service), printer)
    controller = KioskController(KioskPresenter(hall, node), flow, now=lambda: at("09:00"))
    controller.set_connected(True)
    return controller, service, printer


def test_the_priority_button_asks_for_a_category_then_issues_it(
        kiosk: tuple[KioskController, BrokerService, MemoryPrinter]) -> None:
    controller, service, printer = kiosk
    controller.press("service:priority")
    screen = controller.screen()
    assert screen.name == "priority" and service.state.tickets == {}
    buttons = {a.id: a for a in screen.actions}
    assert list(buttons) == [f"category:{c}" for c in (
        "critical", "elderly80", "disabled", "military", "pregnant", "elderly70")]
    assert "80岁以上" in buttons["category:elderly80"].primary
    assert buttons["category:elderly80"].secondary == "Aged 80+"
    controller.press("category:elderly80")
    assert controller.mode == "issued"
    assert service.state.tickets["Y001"].category == "elderly80"
    assert service.state.tickets["Y001"].kind == "priority"
    issued = [t.primary for t in controller.screen().body]
    assert any("优先：80岁以上" in line for line in issued)
    printed = decode(printer.jobs[0]).texts()
    assert any("80岁以上" in line for line in printed)
    assert any("Aged 80+" in line for line in printed)


def test_back_from_the_categories_issues_nothing(
        kiosk: tuple[KioskController, BrokerService, MemoryPrinter]) -> None:
    controller, service, _ = kiosk
    controller.press("service:priority")
    controller.press("home")
    controller.press("category:critical")  # a stale touch after leaving the screen
    assert controller.mode == "home" and service.state.tickets == {}


def test_walk_in_services_still_issue_at_once(
        kiosk: tuple[KioskController, BrokerService, MemoryPrinter]) -> None:
    controller, service, _ = kiosk
    controller.press("service:general")
    assert controller.mode == "issued" and service.state.tickets["A001"].category is None


def test_the_spoken_confirmation_names_the_category(
        kiosk: tuple[KioskController, BrokerService, MemoryPrinter]) -> None:
    controller, _, _ = kiosk
    controller.press("service:priority")
    controller.press("category:pregnant")
    assert controller.ticket is not None
    audio = RecordingAudio(speed=20.0)
    speaker = TicketSpeaker(EspeakSpeech(), audio, controller.presenter.hall)
    assert speaker.say(controller.ticket)
    zh, en = (p.clip.label for p in audio.played)
    assert "孕产妇" in zh and "Pregnant or nursing" in en and "Y 0 0 1" in en

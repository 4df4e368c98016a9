"""The hall manager pauses ticketing: the kiosk stops issuing and says why, in words from
the catalogue for the view's ``ticketing.code``; resumed, it issues again."""

from __future__ import annotations

import json
from pathlib import Path

from broker.journal import Journal
from broker.service import BrokerService
from config.kiosk_node import KioskNode
from hw.printer import MemoryPrinter
from kiosk.controller import KioskController
from kiosk.issuing import IssueFlow
from kiosk.presenter import KioskPresenter
from kiosk.screens import Screen
from protocol import envelope
from protocol.view import PublicView
from kiosk_support import InProcess
from tests.conftest import at, small_hall

NOW = at("10:00")


def _words(screen: Screen) -> str:
    return " ".join([t.primary for t in screen.body] + [t.secondary for t in screen.body])


def _manager(service: BrokerService, op: str, rid: str) -> None:
    raw = envelope.encode_request(envelope.Request(rid, op, "admin", {}))
    assert json.loads(service.handle(raw).reply)["ok"] is True


def test_a_paused_hall_kiosk_says_so_and_issues_again_when_resumed(tmp_path: Path) -> None:
    hall = small_hall()
    service = BrokerService(hall, Journal(tmp_path / "journal.sqlite3"), lambda: NOW)
    node = KioskNode(id="kiosk-1")
    controller = KioskController(KioskPresenter(hall, node),
                                 IssueFlow(hall, node, InProcess(service), MemoryPrinter()),
                                 now=lambda: NOW)
    controller.set_connected(True)
    _manager(service, "pause_ticketing", "p1")
    controller.set_view(PublicView.parse(service.snapshot()["view"]))
    screen = controller.screen()
    assert screen.name == "closed"
    words = _words(screen)
    assert "暂停取号，请稍候" in words and "Ticketing paused, please wait" in words
    assert "下次开始取号" not in words, "no opening time is promised during a manager's pause"
    controller.press("service:general")
    assert controller.screen().name == "closed" and service.state.tickets == {}
    _manager(service, "resume_ticketing", "p2")
    controller.set_view(PublicView.parse(service.snapshot()["view"]))
    assert controller.screen().name == "home"

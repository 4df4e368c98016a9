"""Printer status through a fake network printer on loopback answering DLE EOT."""

from __future__ import annotations

import time

from collections.abc import Iterator
from typing import Any

import pytest
from kiosk_support import FakeNetworkPrinter, dead_endpoint, write_hall

from config.kiosk_node import KioskPrinter
from config.load import load_hall
from hw.printer import open_printer
from hw.printer_status import PrinterStatus, parse_paper
from kiosk.app import PrinterPoller
from kiosk.controller import KioskController
from kiosk.health import PrinterHealth
from runtime.health import HealthReporter
from kiosk.issuing import IssueFlow, IssueRequest
from kiosk.presenter import IssuedTicket, KioskPresenter


class RecordingBroker:
    """A request client stand-in that issues tickets and records health reports.

    Only the broker is replaced here (its own behaviour is tested elsewhere);
    the printer is a real TCP peer and the escpos adapter is the real one.
    """

    def __init__(self) -> None:
        self.health: list[tuple[str, str]] = []
        self.issued = 0

    def request(self, op: str, args: dict[str, Any] | None = None, *,
                request_id: str | None = None) -> dict[str, Any]:
        args = args or {}
        if op == "report_health":
            self.health.append((args["status"], args["message"]))
            return {}
        assert op == "issue_ticket"
        self.issued += 1
        return {"ticket": f"A{self.issued:03d}", "service": args["service"], "kind": "walkin",
                "ahead": 0, "estimate_min": 5.0, "wait_min": 5, "issued_at": 1795568400.0,
                "expected_at": 1795568700.0, "late": False, "after_hours": False}


@pytest.fixture
def hall(tmp_path: Any) -> Any:
    return load_hall(write_hall(tmp_path / "hall.toml"))


@pytest.fixture
def fake() -> Iterator[FakeNetworkPrinter]:
    printer = FakeNetworkPrinter()
    yield printer
    printer.close()


def test_status_bytes() -> None:
    assert parse_paper(b"\x12") is PrinterStatus.READY
    assert parse_paper(b"\x1e") is PrinterStatus.PAPER_LOW
    assert parse_paper(b"\x72") is PrinterStatus.PAPER_OUT
    assert parse_paper(b"") is PrinterStatus.UNKNOWN
    assert parse_paper(b"\xff") is PrinterStatus.UNKNOWN


@pytest.mark.parametrize("paper,online,status,report,prints", [
    (0x12, 0x12, PrinterStatus.READY, [("ok", "")], True),
    (0x1E, 0x12, PrinterStatus.PAPER_LOW, [("warning", "paper_low")], True),
    (0x72, 0x12, PrinterStatus.PAPER_OUT, [("fault", "paper_out")], False),
    (None, None, PrinterStatus.UNKNOWN, [], True),
    (0x12, 0x1A, PrinterStatus.OFFLINE, [("fault", "printer_offline")], False),
])
def test_kiosk_behaviour_per_status(hall: Any, fake: FakeNetworkPrinter, paper: int | None,
                                    online: int | None, status: PrinterStatus,
                                    report: list[tuple[str, str]], prints: bool) -> None:
    fake.paper, fake.online = paper, online
    settings = KioskPrinter(type="network", host="127.0.0.1", port=fake.port, timeout_s=1.0,
                            profile="TM-T20II")
    printer = open_printer(settings)
    broker = RecordingBroker()
    health = PrinterHealth(HealthReporter(broker.request))
    node = hall.kiosks[0].model_copy(update={"printer": settings})
    try:
        assert PrinterPoller(printer, health, 0).poll_once() is status
        assert broker.health == report
        flow = IssueFlow(hall, node, broker, printer, printer_status=lambda: health.status,
                         on_print_fault=health.print_failed, on_print_ok=health.print_ok)
        controller = KioskController(KioskPresenter(hall, node), flow,
                                     printer_status=lambda: health.status,
                                     now=lambda: 1795568400.0)
        controller.set_connected(True)
        assert ("打印机暂不可用" in str(controller.screen())) is (not prints)
        controller.press("service:general")
        screen = controller.screen()
        ticket = controller.ticket
        assert isinstance(ticket, IssuedTicket) and broker.issued == 1
        assert screen.name == ("issued" if prints else "remember")
        if not prints:
            assert screen.body[0].primary == "请记住您的号码"
        printer.close()
        # The fake printer's thread reads from its socket on its own time: wait for
        # the bytes (bounded) rather than race it.
        deadline = time.monotonic() + 3.0
        while b"A001" not in bytes(fake.received) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (b"A001" in bytes(fake.received)) is prints
    finally:
        printer.close()


def test_unreachable_network_printer_is_offline_and_a_print_is_a_fault(hall: Any) -> None:
    port = int(dead_endpoint().rsplit(":", 1)[1])
    printer = open_printer(KioskPrinter(type="network", host="127.0.0.1", port=port, timeout_s=0.3))
    assert printer.status() is PrinterStatus.OFFLINE
    broker = RecordingBroker()
    health = PrinterHealth(HealthReporter(broker.request))
    flow = IssueFlow(hall, hall.kiosks[0], broker, printer, on_print_fault=health.print_failed)
    outcome = flow.issue(IssueRequest(kind="walkin", service="general"))
    assert isinstance(outcome, IssuedTicket) and not outcome.printed
    assert broker.health and broker.health[-1][0] == "fault"

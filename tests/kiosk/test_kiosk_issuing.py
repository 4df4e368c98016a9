"""The issue flow against a real broker process: ack first, one ticket per touch, faults reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kiosk_escpos_decoder import decode
from kiosk_support import dead_endpoint, running_broker

from config.load import load_hall
from hw.printer import MemoryPrinter
from hw.printer_status import PrinterStatus
from kiosk.health import PrinterHealth
from runtime.health import HealthReporter
from kiosk.issuing import IssueFlow, IssueRequest, Refused, Unreachable
from kiosk.presenter import IssuedTicket
from protocol.client import RequestClient

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_broker(tmp_path_factory.mktemp("kiosk-issuing")) as running:
        yield running


@pytest.fixture
def client(broker: dict[str, Any]) -> Iterator[RequestClient]:
    with RequestClient(broker["commands"], "kiosk-1", timeout_ms=1000, retries=2) as c:
        yield c


def make_flow(broker: dict[str, Any], client: Any, printer: MemoryPrinter,
              health: PrinterHealth | None = None) -> IssueFlow:
    hall = load_hall(broker["config"])
    health = health or PrinterHealth(HealthReporter(client.request))
    return IssueFlow(hall, hall.kiosks[0], client, printer, printer_status=lambda: health.status,
                     on_print_fault=health.print_failed, on_print_ok=health.print_ok)


def services(client: RequestClient) -> dict[str, Any]:
    return client.request("snapshot")["view"]["services"]


def test_touch_issues_one_ticket_and_prints_exactly_it(broker: dict[str, Any],
                                                        client: RequestClient) -> None:
    printer = MemoryPrinter()
    flow = make_flow(broker, client, printer)
    before = services(client)["reimburse"]["waiting"]
    request = IssueRequest(kind="walkin", service="reimburse")
    outcome = flow.issue(request)
    assert isinstance(outcome, IssuedTicket) and outcome.printed
    after = services(client)["reimburse"]
    assert after["waiting"] == before + 1 and after["last_issued"] == outcome.ticket
    assert len(printer.jobs) == 1
    texts = decode(printer.jobs[0]).texts()
    assert outcome.ticket in texts and "医疗费用报销" in texts
    assert f"您前面还有 {before} 人等候" in texts
    # A retry of the same touch (lost reply) gets the same ticket, not a second one.
    again = flow.issue(request)
    assert isinstance(again, IssuedTicket) and again.ticket == outcome.ticket
    assert services(client)["reimburse"]["waiting"] == before + 1


def test_unreachable_broker_shows_and_prints_nothing(broker: dict[str, Any]) -> None:
    printer = MemoryPrinter()
    with RequestClient(dead_endpoint(), "kiosk-1", timeout_ms=100, retries=2) as dead:
        flow = make_flow(broker, dead, printer)
        request = IssueRequest(kind="walkin", service="general")
        outcome = flow.issue(request)
    assert isinstance(outcome, Unreachable) and outcome.request is request
    assert printer.jobs == []


def test_retry_after_unreachable_reuses_the_request_id(broker: dict[str, Any],
                                                       client: RequestClient) -> None:
    printer = MemoryPrinter()
    request = IssueRequest(kind="walkin", service="general")
    with RequestClient(dead_endpoint(), "kiosk-1", timeout_ms=100, retries=1) as dead:
        assert isinstance(make_flow(broker, dead, printer).issue(request), Unreachable)
    first = make_flow(broker, client, printer).issue(request)
    second = make_flow(broker, client, printer).issue(request)
    assert isinstance(first, IssuedTicket) and isinstance(second, IssuedTicket)
    assert first.ticket == second.ticket


def test_paper_out_keeps_the_number_and_tells_staff(broker: dict[str, Any],
                                                    client: RequestClient) -> None:
    printer = MemoryPrinter()
    health = PrinterHealth(HealthReporter(client.request))
    health.observe(PrinterStatus.PAPER_OUT)
    outcome = make_flow(broker, client, printer, health).issue(
        IssueRequest(kind="walkin", service="general"))
    assert isinstance(outcome, IssuedTicket)
    assert not outcome.printed and "缺纸" in (outcome.print_problem or "")
    assert printer.jobs == []
    reported = client.request("snapshot")["view"]["health"]
    assert any(h["component"] == "printer" and h["status"] == "fault" for h in reported.values())
    health.observe(PrinterStatus.READY)
    reported = client.request("snapshot")["view"]["health"]
    assert all(h["status"] == "ok" for h in reported.values() if h["component"] == "printer")


def test_failed_print_keeps_the_number_until_a_print_works(broker: dict[str, Any],
                                                           client: RequestClient) -> None:
    printer = MemoryPrinter()
    printer.fail_next = 1
    health = PrinterHealth(HealthReporter(client.request))
    flow = make_flow(broker, client, printer, health)
    failed = flow.issue(IssueRequest(kind="walkin", service="general"))
    assert isinstance(failed, IssuedTicket) and not failed.printed
    view = client.request("snapshot")["view"]
    assert view["services"]["general"]["last_issued"] == failed.ticket
    assert any(h["status"] == "fault" for h in view["health"].values())
    health.observe(PrinterStatus.READY)  # paper is there, but the fault stands until a print works
    assert any(h["status"] == "fault" for h in client.request("snapshot")["view"]["health"].values())
    ok = flow.issue(IssueRequest(kind="walkin", service="general"))
    assert isinstance(ok, IssuedTicket) and ok.printed
    assert all(h["status"] == "ok" for h in client.request("snapshot")["view"]["health"].values()
               if h["component"] == "printer")


def test_near_end_is_a_warning_and_unknown_changes_nothing(broker: dict[str, Any],
                                                          client: RequestClient) -> None:
    health = PrinterHealth(HealthReporter(client.request))
    health.observe(PrinterStatus.PAPER_LOW)
    printer_health = [h for h in client.request("snapshot")["view"]["health"].values()
                      if h["component"] == "printer"]
    assert [h["status"] for h in printer_health] == ["warning"]
    health.observe(PrinterStatus.UNKNOWN)
    printer_health = [h for h in client.request("snapshot")["view"]["health"].values()
                      if h["component"] == "printer"]
    assert [h["status"] for h in printer_health] == ["warning"]
    health.observe(PrinterStatus.READY)


def test_unknown_booking_is_refused_without_a_ticket(broker: dict[str, Any],
                                                     client: RequestClient) -> None:
    printer = MemoryPrinter()
    outcome = make_flow(broker, client, printer).issue(
        IssueRequest(kind="appointment", appointment="9999"))
    assert isinstance(outcome, Refused) and outcome.code == "unknown_appointment"
    assert printer.jobs == []


def test_example_hall_config_is_valid_for_a_kiosk(tmp_path: Path) -> None:
    hall = load_hall(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")
    assert hall.kiosks, "the example hall should show a kiosk section"

"""Appointments: CSV import (all or nothing, per-row errors) and check-in by booking code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kiosk_support import running_broker

from config.load import load_hall
from hw.printer import MemoryPrinter
from kiosk.appointments import AppointmentImportError, import_csv, parse_bookings
from kiosk.issuing import IssueFlow, IssueRequest, Refused
from kiosk.presenter import IssuedTicket
from protocol.client import RequestClient

pytestmark = pytest.mark.e2e

GOOD = """code,service,start,end
1234,general,2026-11-25T09:10,2026-11-25T09:20
5555,reimburse,2026-11-25 11:00,2026-11-25 11:15
7777,general,2026-11-25T08:00,2026-11-25T08:10
"""


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_broker(tmp_path_factory.mktemp("kiosk-appointments")) as running:
        yield running


def test_bad_rows_are_all_reported_with_line_numbers(broker: dict[str, Any]) -> None:
    hall = load_hall(broker["config"])
    text = ("code,service,start,end\n"
            "1234,general,2026-11-25T09:10,2026-11-25T09:20\n"
            "12,general,2026-11-25T09:10,2026-11-25T09:20\n"
            "4321,genral,2026-11-25T09:10,2026-11-25T09:00\n"
            "9876,general,,2026-11-25T09:20\n"
            "1234,general,2026-11-25T10:10,2026-11-25T10:20\n")
    with pytest.raises(AppointmentImportError) as caught:
        parse_bookings(text, hall, "b.csv")
    message = str(caught.value)
    assert "4 bad row(s)" in message and "nothing was imported" in message
    assert "line 3 (12)" in message
    assert "line 4 (4321)" in message and "'genral'" in message and "end must be after start" in message
    assert "line 5: missing start" in message
    assert "line 6 (1234): code 1234 already on line 2" in message


def test_header_is_checked() -> None:
    hall = load_hall(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")
    with pytest.raises(AppointmentImportError, match="lacks service"):
        parse_bookings("code,name,start,end\n1234,x,2026-11-25T09:10,2026-11-25T09:20\n", hall)


def test_import_then_check_in_on_time_early_and_late(broker: dict[str, Any],
                                                     tmp_path: Path) -> None:
    hall = load_hall(broker["config"])
    csv_path = tmp_path / "bookings.csv"
    csv_path.write_text(GOOD, encoding="utf-8")
    assert import_csv(csv_path, hall, broker["commands"]) == 3
    # The same file again: the broker refuses all of it (codes exist), nothing half-imported.
    with pytest.raises(AppointmentImportError, match="row 1 \\(1234\\)"):
        import_csv(csv_path, hall, broker["commands"])

    printer = MemoryPrinter()
    with RequestClient(broker["commands"], "kiosk-1", timeout_ms=1000, retries=2) as client:
        flow = IssueFlow(hall, hall.kiosks[0], client, printer)
        on_time = flow.issue(IssueRequest(kind="appointment", appointment="1234"))
        assert isinstance(on_time, IssuedTicket)
        assert on_time.kind == "appointment" and on_time.ticket.startswith("A") and not on_time.late
        again = flow.issue(IssueRequest(kind="appointment", appointment="1234"))
        assert isinstance(again, Refused) and again.code == "already_checked_in"
        early = flow.issue(IssueRequest(kind="appointment", appointment="5555"))
        assert isinstance(early, Refused) and early.code == "too_early" and "10:30" in early.message
        late = flow.issue(IssueRequest(kind="appointment", appointment="7777"))
        assert isinstance(late, IssuedTicket) and late.late and late.kind == "walkin"
    assert len(printer.jobs) == 2

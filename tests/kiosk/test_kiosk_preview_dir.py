"""``printer.preview_dir``: every printed ticket is also kept as a PNG and as its bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from kiosk_escpos_decoder import decode
from kiosk_support import running_broker
from PIL import Image

from config.load import load_hall
from hw.printer import MemoryPrinter
from kiosk.issuing import IssueFlow, IssueRequest
from kiosk.presenter import IssuedTicket
from protocol.client import RequestClient

pytestmark = pytest.mark.e2e


def test_printed_tickets_are_kept_as_png_and_bytes_and_unprinted_ones_are_not(
        tmp_path: Path) -> None:
    folder = tmp_path / "tickets"
    printer_table = {"type": "preview", "profile": "TM-T20II", "preview_dir": str(folder)}
    with running_broker(tmp_path, kiosks=[{"id": "kiosk-1", "printer": printer_table}]) as broker:
        hall = load_hall(broker["config"])
        printer = MemoryPrinter()
        with RequestClient(broker["commands"], "kiosk-1", timeout_ms=1000, retries=2) as client:
            flow = IssueFlow(hall, hall.kiosks[0], client, printer)
            first = flow.issue(IssueRequest(kind="walkin", service="general"))
            printer.fail_next = 1  # the second ticket's job fails: nothing to keep
            second = flow.issue(IssueRequest(kind="walkin", service="general"))
    assert isinstance(first, IssuedTicket) and first.printed
    assert isinstance(second, IssuedTicket) and not second.printed
    assert sorted(p.name for p in folder.iterdir()) == [f"{first.ticket}.bin",
                                                        f"{first.ticket}.png"]
    kept = (folder / f"{first.ticket}.bin").read_bytes()
    assert [kept] == printer.jobs and first.ticket in decode(kept).texts()
    with Image.open(folder / f"{first.ticket}.png") as picture:
        # 80 mm paper: 576 printable dots plus the picture's white margins.
        assert picture.format == "PNG" and picture.width > 576 and picture.height > picture.width

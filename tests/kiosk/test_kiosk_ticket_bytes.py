"""Ticket bytes: composed on escpos Dummy, decoded back, read as a visitor would."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from kiosk_escpos_decoder import decode

from config.kiosk_node import KioskPrinter
from kiosk.ticket import TicketDoc, compose_ticket, qr_payload

ISSUED = datetime(2026, 11, 25, 9, 3, 7, tzinfo=ZoneInfo("Asia/Shanghai"))


def doc(**changes: object) -> TicketDoc:
    base = dict(hall_zh="市医疗保障服务大厅", hall_en="Municipal Medical Insurance Service Hall",
                ticket="A012", service_zh="综合业务", service_en="General Services", ahead=5,
                wait_min=23, issued=ISSUED,
                qr_payload=qr_payload("{ticket}@{day}", ticket="A012", service="general",
                                      issued=ISSUED, node="kiosk-1"),
                footer=("请妥善保管号票：过号请联系窗口（工作人员）", "Keep this ticket"))
    base.update(changes)
    return TicketDoc(**base)  # type: ignore[arg-type]


def test_gb18030_ticket_reads_right_with_native_qr_and_cut() -> None:
    printed = decode(compose_ticket(doc(), KioskPrinter(chinese="gb18030", qr="native",
                                                        profile="TM-T20II")))
    texts = printed.texts()
    assert printed.chinese_mode
    assert texts[0] == "市医疗保障服务大厅"
    assert "Municipal Medical Insurance Service Hall" in texts
    number = next(line for line in printed.lines if line["text"] == "A012")
    assert number["width"] >= 6 and number["height"] >= 6 and number["align"] == 1
    for expected in ("综合业务", "General Services", "您前面还有 5 人等候", "5 people ahead of you",
                     "预计等候约 23 分钟", "Estimated wait: about 23 min", "2026-11-25 09:03:07",
                     "请留意叫号 / Please watch for your number", "Keep this ticket"):
        assert expected in texts
    # The punctuation-rich footer is sent as GB18030 too, not through a code page as "?".
    assert "请妥善保管号票：过号请联系窗口（工作人员）" in texts
    assert printed.qr_native == ["A012@2026-11-25"]
    assert printed.cuts == 1 and printed.feed_lines >= 4
    assert not printed.rasters


def test_image_mode_sends_no_chinese_bytes_and_the_qr_image_decodes() -> None:
    settings = KioskPrinter(chinese="image", qr="image", paper_width_mm=58, profile="POS-5890")
    printed = decode(compose_ticket(doc(), settings))
    texts = printed.texts()
    assert not printed.chinese_mode
    assert all(ch.isascii() for line in texts for ch in line)
    assert "A012" in texts and "General Services" in texts
    assert all(img.width == 384 for img in printed.rasters)
    found = [r.text for img in printed.rasters for r in zxingcpp.read_barcodes(img.convert("L"))]
    assert found == ["A012@2026-11-25"]
    # POS-5890 has no cutter: escpos feeds the ticket out to the tear bar instead.
    assert printed.cuts == 0 and printed.feed_lines >= 4
    # The Chinese lines went out as pictures: several rasters besides the QR code.
    assert len(printed.rasters) >= 3


def test_unknown_wait_and_late_note_are_printed() -> None:
    printed = decode(compose_ticket(doc(wait_min=None, ahead=1,
                                        notes=(("预约已过时，按普通号排队", "Late for appointment"),)),
                                    KioskPrinter(qr="none")))
    texts = printed.texts()
    assert "暂无开放窗口，等候时间待定" in texts
    assert "1 person ahead of you" in texts
    assert "预约已过时，按普通号排队" in texts
    assert not printed.qr_native and not printed.rasters


@pytest.mark.parametrize("template,expected", [("{ticket}", "A012"),
                                               ("https://q.example/t/{day}/{ticket}",
                                                "https://q.example/t/2026-11-25/A012")])
def test_qr_template(template: str, expected: str) -> None:
    assert qr_payload(template, ticket="A012", service="general", issued=ISSUED,
                      node="kiosk-1") == expected

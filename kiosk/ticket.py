"""The printed ticket: its content (``TicketDoc``) and its ESC/POS bytes.

The bytes are composed on an escpos ``Dummy`` with the printer's profile, so
the preview file, the tests and the real printer all get exactly the same
bytes. Chinese goes out as raw GB18030 for printers declared Chinese-capable
(one write per whole line, so CJK punctuation rides along with the Han
characters; escpos' own shortcut would send a punctuation-only line through a
code page as "?"), otherwise as a picture drawn with the CJK font.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from config.kiosk_node import KioskPrinter

if TYPE_CHECKING:
    from escpos.escpos import Escpos
    from PIL import Image

logger = logging.getLogger(__name__)

FS_CHINESE_ON = b"\x1c\x26"
"""FS &: double-byte (Chinese) mode, in case the printer was left in single-byte mode."""

Size = Literal["small", "normal", "large", "huge"]
_PIXELS: dict[str, int] = {"small": 22, "normal": 26, "large": 48, "huge": 120}
"""Picture-mode glyph heights in dots, matching the text sizes (font A is 24 dots)."""


@dataclass(frozen=True)
class TicketDoc:
    """Everything printed on one ticket; no personal data exists to print.

    Attributes:
        hall_zh: hall name in Chinese.
        hall_en: hall name in English.
        ticket: the number, e.g. ``A012``.
        service_zh: service name in Chinese.
        service_en: service name in English.
        ahead: people waiting before this ticket.
        wait_min: the broker's estimated wait in whole minutes; None when no counter is open.
        issued: when the broker issued it, hall-local.
        qr_payload: what the QR code holds ("" for none).
        footer: lines at the bottom.
        notes: extra bilingual lines (late appointment, after hours), each (zh, en).
        category_zh: the priority category's name in Chinese ("" for none).
        category_en: the priority category's name in English.
    """

    hall_zh: str
    hall_en: str
    ticket: str
    service_zh: str
    service_en: str
    ahead: int
    wait_min: int | None
    issued: datetime
    qr_payload: str = ""
    footer: tuple[str, ...] = ()
    notes: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    category_zh: str = ""
    category_en: str = ""


@dataclass(frozen=True)
class _Line:
    text: str
    size: Size = "normal"
    bold: bool = False


def wait_text(wait_min: int | None) -> tuple[str, str]:
    """The estimated wait in words, Chinese and English.

    Args:
        wait_min: the broker's ``wait_min`` (whole minutes, its rounding), or None when
            no counter serving it is open.
    """
    if wait_min is None:
        return "暂无开放窗口，等候时间待定", "No counter open yet; wait not known"
    minutes = wait_min
    return f"预计等候约 {minutes} 分钟", f"Estimated wait: about {minutes} min"


def ticket_lines(doc: TicketDoc) -> list[_Line | None]:
    """The ticket top to bottom; None marks where the QR code goes."""
    wait_zh, wait_en = wait_text(doc.wait_min)
    lines: list[_Line | None] = [
        _Line(doc.hall_zh, "large", bold=True),
        _Line(doc.hall_en, "small"),
        _Line("-" * 24, "normal"),
        _Line("您的号码 / Your number", "normal"),
        _Line(doc.ticket, "huge", bold=True),
        _Line(doc.service_zh, "large", bold=True),
        _Line(doc.service_en, "normal"),
    ]
    if doc.category_zh:
        # Staff check the proof of this category at the counter; it is printed large.
        lines += [_Line(f"优先：{doc.category_zh}", "large", bold=True),
                  _Line(f"Priority: {doc.category_en}", "normal")]
    lines += [
        _Line(f"您前面还有 {doc.ahead} 人等候", "normal"),
        _Line(f"{doc.ahead} {'person' if doc.ahead == 1 else 'people'} ahead of you", "normal"),
        _Line(wait_zh, "normal"),
        _Line(wait_en, "normal"),
    ]
    for zh, en in doc.notes:
        lines += [_Line(zh, "normal", bold=True), _Line(en, "small")]
    lines += [
        _Line("请留意叫号 / Please watch for your number", "normal", bold=True),
        _Line(doc.issued.strftime("%Y-%m-%d %H:%M:%S"), "normal"),
    ]
    if doc.qr_payload:
        lines.append(None)
    lines += [_Line(text, "small") for text in doc.footer]
    return lines


def _is_ascii(text: str) -> bool:
    return all(ord(ch) < 128 for ch in text)


def _set_size(p: Escpos, line: _Line, settings: KioskPrinter) -> None:
    if line.size == "huge":
        # Font A is 12 dots wide: 6x fills 58 mm paper with "A0123", 8x does on 80 mm.
        scale = 6 if settings.paper_width_mm == 58 else 8
        p.set(align="center", bold=line.bold, custom_size=True, width=scale, height=scale)
    else:
        big = line.size == "large"
        p.set(align="center", bold=line.bold, normal_textsize=True, double_width=big,
              double_height=big, font="b" if line.size == "small" else "a")


def _qr_image(payload: str, width: int) -> Image.Image:
    import qrcode
    from PIL import Image

    code = qrcode.QRCode(box_size=6 if width >= 576 else 5, border=2,
                         error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    picture = code.make_image(fill_color="black", back_color="white").get_image().convert("1")
    # Centred on a paper-wide canvas: raster images ignore ESC a on many printers.
    canvas = Image.new("1", (width, picture.height), 1)
    canvas.paste(picture, ((width - picture.width) // 2, 0))
    return canvas


def compose_ticket(doc: TicketDoc, settings: KioskPrinter) -> bytes:
    """The exact ESC/POS bytes of one ticket, ending with a cut.

    Args:
        doc: the ticket's content.
        settings: the kiosk's printer table (profile, width, Chinese mode, QR mode).
    """
    from escpos.printer import Dummy

    from hw.cjk_image import render_lines

    p = Dummy(profile=settings.profile)
    p.hw("INIT")
    if settings.chinese == "gb18030":
        p._raw(FS_CHINESE_ON)
    pending: list[_Line] = []

    def flush_pictures() -> None:
        if pending:
            picture = render_lines([(ln.text, _PIXELS[ln.size]) for ln in pending],
                                   settings.width_px())
            p.image(picture, impl="bitImageRaster", center=False)
            pending.clear()

    for line in ticket_lines(doc):
        if line is None:
            flush_pictures()
            _print_qr(p, doc.qr_payload, settings)
            continue
        if not _is_ascii(line.text) and settings.chinese == "image":
            pending.append(line)
            continue
        flush_pictures()
        _set_size(p, line, settings)
        if _is_ascii(line.text):
            p._raw(line.text.encode("ascii") + b"\n")
        else:
            # GB18030 is a superset of ASCII: a mixed line goes out in one write.
            p._raw(line.text.encode("gb18030", errors="replace") + b"\n")
    flush_pictures()
    p.set_with_default()
    p.cut()
    return bytes(p.output)


def _print_qr(p: Escpos, payload: str, settings: KioskPrinter) -> None:
    if settings.qr == "none" or not payload:
        return
    p.set(align="center")
    if settings.qr == "native":
        p.qr(payload, native=True, size=6 if settings.paper_width_mm == 80 else 5)
    else:
        p.image(_qr_image(payload, settings.width_px()), impl="bitImageRaster", center=False)


def qr_payload(template: str, *, ticket: str, service: str, issued: datetime, node: str) -> str:
    """Fill the QR template (placeholders checked when the config was loaded).

    Args:
        template: e.g. ``"{ticket}@{day}"``.
        ticket: the ticket number.
        service: the service id.
        issued: hall-local issue time.
        node: this kiosk's id.
    """
    return template.format(ticket=ticket, service=service, day=issued.date().isoformat(),
                           issued=issued.strftime("%H:%M"), node=node)


def ticket_picture(doc: TicketDoc, settings: KioskPrinter) -> Image.Image:
    """A picture of the ticket as printed (for previews and the README), white paper.

    Args:
        doc: the ticket's content.
        settings: the printer table (paper width, QR mode).
    """
    from PIL import Image

    from hw.cjk_image import render_lines

    width = settings.width_px()
    parts: list[Image.Image] = []
    run: list[_Line] = []

    def flush() -> None:
        if run:
            parts.append(render_lines([(ln.text, _PIXELS[ln.size]) for ln in run], width))
            run.clear()

    for line in ticket_lines(doc):
        if line is None:
            flush()
            if settings.qr != "none":
                parts.append(_qr_image(doc.qr_payload, width))
        else:
            run.append(line)
    flush()
    margin = 24
    total = sum(part.height for part in parts) + margin * (len(parts) + 1)
    paper = Image.new("L", (width + 2 * margin, total), 255)
    y = margin
    for part in parts:
        paper.paste(part.convert("L"), (margin, y))
        y += part.height + margin
    return paper


"""Settings of one kiosk node, as a ``[[kiosks]]`` table of the hall file.

Every field has its default here and nowhere else; the kiosk code reads them
from these models only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from config.base import ConfigModel, NodeId, PathText, Word


MAX_FOOTER_LINES = 6
"""Footer lines at most: the ticket stays a ticket, not a leaflet."""
MAX_FOOTER_CHARS = 100
"""Longest footer line (wrapped to the paper's width when printed)."""
FooterLine = Annotated[str, Field(max_length=MAX_FOOTER_CHARS)]


class KioskPrinter(ConfigModel):
    """The kiosk's thermal ticket printer (ESC/POS through python-escpos).

    ``type`` picks the transport; only the fields of that transport are used.
    ``preview`` keeps the bytes in memory and prints nothing: for a bench
    setup without a printer, never a fallback (it must be chosen here).
    """

    type: Literal["usb", "network", "serial", "file", "preview"] = "usb"
    vendor_id: Annotated[int, Field(ge=0, le=0xFFFF)] = 0x0416
    """USB vendor id (``lsusb``), e.g. 0x0416 for many Xprinter/Winbond models."""
    product_id: Annotated[int, Field(ge=0, le=0xFFFF)] = 0x5011
    """USB product id (``lsusb``)."""
    in_ep: Annotated[int, Field(ge=0, le=0xFF)] = 0x81
    """USB IN endpoint (``lsusb -vvv -d VID:PID | grep bEndpointAddress``)."""
    out_ep: Annotated[int, Field(ge=0, le=0xFF)] = 0x03
    """USB OUT endpoint."""
    host: Word = "192.168.1.50"
    """Network printer address (raw TCP, usually port 9100)."""
    port: Annotated[int, Field(ge=1, le=65535)] = 9100
    device: PathText = "/dev/usb/lp0"
    """Device file of a ``serial`` (e.g. /dev/ttyUSB0) or ``file`` printer."""
    baudrate: Annotated[int, Field(ge=1200, le=921600)] = 9600
    profile: Word = "default"
    """python-escpos capability profile, e.g. "POS-5890" (58 mm) or "TM-T20II" (80 mm)."""
    paper_width_mm: Literal[58, 80] = 80
    chinese: Literal["gb18030", "image"] = "gb18030"
    """``gb18030``: the printer has a Chinese font (most Chinese-market printers);
    ``image``: Chinese lines are rendered to a picture (Epson international models)."""
    qr: Literal["image", "native", "none"] = "image"
    """``image`` works on every printer; ``native`` (GS ( k) needs QR support in the printer."""
    qr_template: Annotated[str, Field(max_length=200)] = "{ticket}@{day}"
    """QR payload; placeholders {ticket} {service} {day} {issued} {node}."""
    footer: Annotated[tuple[FooterLine, ...], Field(max_length=MAX_FOOTER_LINES)] = (
        "请妥善保管号票，过号请联系窗口工作人员",
        "Keep this ticket; if you miss your call, ask at a counter",
    )
    """Lines printed at the bottom of every ticket."""
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 2.0
    """Bound on every printer read/write (escpos' Usb default waits forever)."""
    status_poll_s: Annotated[float, Field(ge=0, le=3600)] = 15.0
    """Seconds between paper status polls; 0 turns polling off."""
    preview_dir: PathText | None = None
    """Also keep every printed ticket in this folder, as ``<ticket>.png`` (a picture of
    the paper) and ``<ticket>.bin`` (its ESC/POS bytes): for the demo and for checking
    a layout. Unset (the default) keeps nothing."""

    @model_validator(mode="after")
    def _template_known(self) -> KioskPrinter:
        try:
            self.qr_template.format(ticket="A001", service="s", day="2026-01-01",
                                    issued="09:00", node="kiosk-1")
        except (KeyError, IndexError, ValueError) as err:
            raise ValueError(f"qr_template: unknown placeholder or bad braces ({err}); "
                             "use {ticket} {service} {day} {issued} {node}") from err
        return self

    def width_px(self) -> int:
        """Printable width in dots at 203 dpi: 384 on 58 mm paper, 576 on 80 mm."""
        return 384 if self.paper_width_mm == 58 else 576


class KioskNode(ConfigModel):
    """One kiosk node of the hall: touch screen, printer, what it offers."""

    id: NodeId
    services: tuple[str, ...] = ()
    """Service ids offered as buttons, in order; empty = every service with kiosk = true."""
    priority: bool = True
    """Offer priority tickets (优先: elderly, disabled, military) for the offered services."""
    priority_service: str | None = None
    """Issue priority tickets of this service (e.g. "priority"); unset = a priority
    ticket of the touched service itself."""
    appointments: bool = True
    """Offer appointment check-in (预约签到) with the booking code."""
    language: Literal["zh", "en"] = "zh"
    """The language shown large at start and after each visitor."""
    idle_timeout_s: Annotated[float, Field(ge=3, le=600)] = 15.0
    """Back to the home screen after this many seconds without a touch."""
    spoken_confirmation: bool = False
    """Speak the ticket number after issuing (for visually impaired visitors)."""
    window_size: tuple[Annotated[int, Field(ge=320)], Annotated[int, Field(ge=240)]] = (1280, 800)
    """Screen size in pixels (width, height)."""
    pending_retry_s: Annotated[float, Field(ge=0, le=600)] = 60.0
    """A ticket request the broker did not answer is retried (with the same request id)
    when the broker comes back within this many seconds; later it is dropped."""
    printer: KioskPrinter = KioskPrinter()

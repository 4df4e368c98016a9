"""Paper and online status of an ESC/POS printer, read with DLE EOT.

python-escpos' own ``paper_status()`` reports "paper adequate" when the
printer did not answer; here an unanswered or garbled query is ``UNKNOWN``,
which is neither "paper present" nor "no paper".
"""

from __future__ import annotations

import enum

DLE_EOT_PRINTER = b"\x10\x04\x01"
"""Transmit printer status (bit 3 set = offline)."""
DLE_EOT_PAPER = b"\x10\x04\x04"
"""Transmit roll paper sensor status."""


class PrinterStatus(enum.Enum):
    """What the kiosk knows about its printer."""

    READY = "ready"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"
    """No (valid) answer: many printers never answer status queries. Not paper_out."""

    @property
    def can_print(self) -> bool | None:
        """True/False when known; None when unknown (the kiosk then just tries)."""
        if self in (PrinterStatus.READY, PrinterStatus.PAPER_LOW):
            return True
        if self in (PrinterStatus.PAPER_OUT, PrinterStatus.OFFLINE):
            return False
        return None


def _status_byte(answer: bytes) -> int | None:
    """The last byte of an answer if it is a real-time status byte (0xx1xx10 pattern)."""
    if not answer:
        return None
    byte = answer[-1]
    # Every DLE EOT answer has bit 1 set, bits 0, 4 and 7 clear / bit 4 set (fixed bits):
    # 0b0xx1xx10. A byte without that shape is noise, not a status.
    if byte & 0b10010011 != 0b00010010:
        return None
    return byte


def parse_online(answer: bytes) -> bool | None:
    """Online state from a DLE EOT 1 answer; None when the answer is missing or invalid.

    Args:
        answer: the bytes read after sending ``DLE_EOT_PRINTER``.
    """
    byte = _status_byte(answer)
    if byte is None:
        return None
    return not byte & 0x08


def parse_paper(answer: bytes) -> PrinterStatus:
    """Paper status from a DLE EOT 4 answer.

    Bits 2-3 set: paper near end; bits 5-6 set: paper out (Epson ESC/POS manual).

    Args:
        answer: the bytes read after sending ``DLE_EOT_PAPER``.

    Returns:
        READY, PAPER_LOW, PAPER_OUT, or UNKNOWN when there was no valid answer.
    """
    byte = _status_byte(answer)
    if byte is None:
        return PrinterStatus.UNKNOWN
    if byte & 0x60:
        return PrinterStatus.PAPER_OUT
    if byte & 0x0C:
        return PrinterStatus.PAPER_LOW
    return PrinterStatus.READY

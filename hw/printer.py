"""The ticket printer port and its python-escpos adapters.

The kiosk composes a ticket into ESC/POS bytes once (``kiosk.ticket``, on an
escpos ``Dummy``) and hands those exact bytes to a ``TicketPrinter``; the same
bytes go to the preview file, the tests and the real device.

Adapters open their device lazily, with a timeout on every read and write, and
throw a device away after any error so the next job starts on a fresh
connection (escpos' own lazy ``device`` never reopens after a failed open).
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from foundation.errors import CallnextError
from config.kiosk_node import KioskPrinter
from hw.printer_status import DLE_EOT_PAPER, DLE_EOT_PRINTER, PrinterStatus, parse_online, parse_paper

if TYPE_CHECKING:
    from escpos.escpos import Escpos

logger = logging.getLogger(__name__)


class PrinterFault(CallnextError, OSError):
    """The printer could not be reached or did not take the job."""


class PrinterSetupError(CallnextError, ValueError):
    """The printer section of the config cannot be turned into a printer."""


class TicketPrinter(Protocol):
    """What the kiosk needs from a printer."""

    def print_bytes(self, data: bytes) -> None:
        """Send one composed ticket; raises ``PrinterFault`` when it was not sent."""

    def status(self) -> PrinterStatus:
        """Query paper/online status, bounded by the printer's timeout."""

    def close(self) -> None:
        """Release the device."""


class EscposPrinter:
    """A real printer reached through a python-escpos transport.

    Args:
        factory: makes a fresh, unopened escpos printer object (Usb, Network, ...).
        name: for log and health messages, e.g. ``network 10.0.0.9:9100``.
        can_query: whether the transport can read status (File cannot).
    """

    def __init__(self, factory: Callable[[], Escpos], *, name: str, can_query: bool = True) -> None:
        self._factory = factory
        self.name = name
        self._can_query = can_query
        self._device: Escpos | None = None
        # A status poll and a print must not interleave on one connection.
        self._lock = threading.Lock()

    def _open(self) -> Escpos:
        if self._device is None:
            device = self._factory()
            device.open()
            self._device = device
        return self._device

    def _discard(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.close()
            except Exception:  # noqa: BLE001 - closing a broken device may fail any way
                logger.debug("closing %s failed", self.name, exc_info=True)

    def print_bytes(self, data: bytes) -> None:
        """Send the ticket bytes.

        Raises:
            PrinterFault: the device could not be opened or the write failed or timed out.
        """
        with self._lock:
            try:
                self._open()._raw(data)
            except Exception as err:  # noqa: BLE001 - usb/serial/socket errors have no common base
                self._discard()
                raise PrinterFault(f"打印失败 / printing failed on {self.name}: {err}") from err

    def status(self) -> PrinterStatus:
        """DLE EOT 1 then DLE EOT 4; OFFLINE if unreachable, UNKNOWN if silent."""
        if not self._can_query:
            return PrinterStatus.UNKNOWN
        with self._lock:
            try:
                device = self._open()
            except Exception as err:  # noqa: BLE001
                logger.info("printer %s unreachable: %s", self.name, err)
                self._discard()
                return PrinterStatus.OFFLINE
            try:
                device._raw(DLE_EOT_PRINTER)
                online = parse_online(bytes(device._read() or b""))
                if online is None:
                    # A late answer would confuse the next query: start afresh.
                    self._discard()
                    return PrinterStatus.UNKNOWN
                if not online:
                    return PrinterStatus.OFFLINE
                device._raw(DLE_EOT_PAPER)
                paper = parse_paper(bytes(device._read() or b""))
                if paper is PrinterStatus.UNKNOWN:
                    self._discard()
                return paper
            except Exception as err:  # noqa: BLE001 - timeouts, resets, usb errors
                logger.info("printer %s did not answer a status query: %s", self.name, err)
                self._discard()
                return PrinterStatus.UNKNOWN

    def close(self) -> None:
        """Close the device (a later job reopens it)."""
        with self._lock:
            self._discard()


class MemoryPrinter:
    """A printer that keeps every job's bytes: for ``preview`` nodes, tests and benchmarks.

    Scriptable both ways: ``statuses`` are answered in turn (then the last one
    forever), and ``fail_next`` makes the next ``print_bytes`` calls raise.

    Args:
        statuses: answers of ``status()``; READY when empty.
    """

    def __init__(self, statuses: Iterable[PrinterStatus] = ()) -> None:
        self.jobs: list[bytes] = []
        self.fail_next = 0
        self._statuses: collections.deque[PrinterStatus] = collections.deque(statuses)
        self._last = PrinterStatus.READY
        self._lock = threading.Lock()
        self.name = "memory"

    def print_bytes(self, data: bytes) -> None:
        """Record the job, or raise ``PrinterFault`` if told to fail."""
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                raise PrinterFault("打印失败 / printing failed (memory printer told to fail)")
            self.jobs.append(bytes(data))

    def status(self) -> PrinterStatus:
        """The next scripted status."""
        with self._lock:
            if self._statuses:
                self._last = self._statuses.popleft()
            return self._last

    def close(self) -> None:
        """Nothing to release."""


def open_printer(settings: KioskPrinter) -> TicketPrinter:
    """Build the printer the config names; nothing is opened yet.

    Args:
        settings: the kiosk's ``printer`` table.

    Raises:
        PrinterSetupError: python-escpos (or pyusb/pyserial for that type) is missing.
    """
    if settings.type == "preview":
        logger.warning("printer type 'preview': tickets are kept in memory, nothing is printed")
        return MemoryPrinter()
    try:
        from escpos import printer as escpos_printer
    except ImportError as err:
        raise PrinterSetupError("python-escpos is not installed; install callnext[printer]") from err
    profile = settings.profile
    timeout = settings.timeout_s
    if settings.type == "usb":
        if not escpos_printer.Usb.is_usable():
            raise PrinterSetupError("USB printing needs pyusb: pip install 'python-escpos[usb]'")

        def make() -> Escpos:
            # timeout is milliseconds for libusb; 0 (escpos' default) would wait forever.
            return escpos_printer.Usb(settings.vendor_id, settings.product_id,
                                      timeout=max(int(timeout * 1000), 1), in_ep=settings.in_ep,
                                      out_ep=settings.out_ep, profile=profile)
        name = f"usb {settings.vendor_id:04x}:{settings.product_id:04x}"
        return EscposPrinter(make, name=name)
    if settings.type == "network":
        def make() -> Escpos:
            return escpos_printer.Network(settings.host, port=settings.port, timeout=timeout,
                                          profile=profile)
        return EscposPrinter(make, name=f"network {settings.host}:{settings.port}")
    if settings.type == "serial":
        if not escpos_printer.Serial.is_usable():
            raise PrinterSetupError("serial printing needs pyserial: pip install 'python-escpos[serial]'")

        def make() -> Escpos:
            return escpos_printer.Serial(devfile=settings.device, baudrate=settings.baudrate,
                                         timeout=timeout, profile=profile)
        return EscposPrinter(make, name=f"serial {settings.device}")
    if settings.type == "file":
        def make() -> Escpos:
            return escpos_printer.File(settings.device, profile=profile)
        # usblp's /dev/usb/lp0 is write-only: no status, so it stays UNKNOWN.
        return EscposPrinter(make, name=f"file {settings.device}", can_query=False)
    raise PrinterSetupError(f"unknown printer type {settings.type!r}")  # pragma: no cover


__all__ = ["EscposPrinter", "MemoryPrinter", "PrinterFault", "PrinterSetupError",
           "PrinterStatus", "TicketPrinter", "open_printer"]

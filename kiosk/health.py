"""Tell the broker how the printer is, so staff hear of it before a visitor does.

Only changes are sent; a report that could not be delivered is sent again
with the next change or poll. ``UNKNOWN`` never changes what was reported:
many printers do not answer status queries at all.
"""

from __future__ import annotations

import logging
import threading

from hw.printer_status import PrinterStatus
from kiosk.issuing import Requester
from protocol.errors import BrokerUnreachable, CommandRefused, ProtocolError

logger = logging.getLogger(__name__)

_REPORT = {
    PrinterStatus.READY: ("ok", ""),
    PrinterStatus.PAPER_LOW: ("warning", "paper_low"),
    PrinterStatus.PAPER_OUT: ("fault", "paper_out"),
    PrinterStatus.OFFLINE: ("fault", "printer_offline"),
}
"""The health report for each printer status. The message is a short detail for logs
that starts with a catalogue code (``health.<code>`` in ``runtime.messages``), which
staff screens word in their own language."""


class PrinterHealth:
    """Keeps the last known printer status and reports changes to the broker.

    Args:
        client: the broker request client.
    """

    def __init__(self, client: Requester) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._status = PrinterStatus.UNKNOWN
        self._sent: tuple[str, str] | None = None
        self._wanted: tuple[str, str] | None = None
        self._print_fault = False

    @property
    def status(self) -> PrinterStatus:
        """The last status the printer itself reported (UNKNOWN before the first poll)."""
        with self._lock:
            return self._status

    def observe(self, status: PrinterStatus) -> None:
        """Record a polled status and report it if it changed what staff should know."""
        with self._lock:
            self._status = status
            if status is PrinterStatus.UNKNOWN:
                wanted = self._wanted
            elif status is PrinterStatus.READY and self._print_fault:
                # Paper is there but the last job failed: keep the fault until a print works.
                wanted = self._wanted
            else:
                wanted = _REPORT[status]
            self._wanted = wanted
        self.flush()

    def print_failed(self, message: str) -> None:
        """A ticket was not printed: a fault until a later ticket prints."""
        with self._lock:
            self._print_fault = True
            self._wanted = ("fault", f"print_failed: {message}"[:200])
        self.flush()

    def print_ok(self) -> None:
        """A ticket printed: clears a print fault."""
        with self._lock:
            if not self._print_fault:
                return
            self._print_fault = False
            self._wanted = _REPORT.get(self._status, ("ok", ""))
        self.flush()

    def flush(self) -> None:
        """Send the wanted report if it differs from the last one delivered."""
        with self._lock:
            wanted = self._wanted
            if wanted is None or wanted == self._sent:
                return
        status, message = wanted
        try:
            self._client.request("report_health", {"component": "printer", "status": status,
                                                   "message": message})
        except (BrokerUnreachable, CommandRefused, ProtocolError) as err:
            logger.warning("printer health %s not reported yet: %s", status, err)
            return
        with self._lock:
            self._sent = wanted
        logger.info("printer health reported: %s %s", status, message)

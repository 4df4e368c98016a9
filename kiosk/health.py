"""Tell the broker how the printer is, so staff hear of it before a visitor does.

This module decides what the printer's state means for staff (paper, a
failed print); the node's ``runtime.health.HealthReporter`` sends it: only
changes, again until delivered. ``UNKNOWN`` never changes what was reported:
many printers do not answer status queries at all.
"""

from __future__ import annotations

import threading

from hw.printer_status import PrinterStatus
from runtime.health import HealthReporter

COMPONENT = "printer"

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
    """Keeps the last known printer status and reports what it means for staff.

    Args:
        reporter: the node's health reporter.
    """

    def __init__(self, reporter: HealthReporter) -> None:
        self._reporter = reporter
        self._lock = threading.Lock()
        self._status = PrinterStatus.UNKNOWN
        self._wanted: tuple[str, str] | None = None
        self._print_fault = False

    @property
    def status(self) -> PrinterStatus:
        """The last status the printer itself reported (UNKNOWN before the first poll)."""
        with self._lock:
            return self._status

    def observe(self, status: PrinterStatus) -> None:
        """Record a polled status and report what it means for staff."""
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
        self._report(wanted)

    def print_failed(self, message: str) -> None:
        """A ticket was not printed: a fault until a later ticket prints."""
        with self._lock:
            self._print_fault = True
            self._wanted = wanted = ("fault", f"print_failed: {message}"[:200])
        self._report(wanted)

    def print_ok(self) -> None:
        """A ticket printed: clears a print fault."""
        with self._lock:
            if not self._print_fault:
                return
            self._print_fault = False
            self._wanted = wanted = _REPORT.get(self._status, ("ok", ""))
        self._report(wanted)

    def _report(self, wanted: tuple[str, str] | None) -> None:
        # Repeating an unchanged report is how an undelivered one is retried on each poll.
        if wanted is not None:
            self._reporter.report(COMPONENT, *wanted)

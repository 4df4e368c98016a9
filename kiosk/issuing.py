"""The issue flow: one touch -> one broker-acknowledged ticket -> printed or shown large.

Rules this module keeps:

* the request id is made once per touch (``IssueRequest``) and reused on
  every retry, so a lost reply never gives a visitor two tickets;
* nothing is shown or printed before the broker acknowledged the ticket;
* a printer that is out of paper, offline or fails the job does not cost the
  visitor the number: it is shown large ("请记住您的号码") and the fault is
  reported to the broker for staff.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from config.kiosk_node import KioskNode, KioskPrinter
from config.schema import Hall
from config.web_node import phone_url
from hw.printer import PrinterFault, TicketPrinter
from hw.printer_status import PrinterStatus
from kiosk.presenter import IssuedTicket, local_time
from kiosk.ticket import TicketDoc, compose_ticket, qr_payload, ticket_picture
from protocol.envelope import new_request_id
from protocol import errors
from protocol.errors import BrokerUnreachable, CommandRefused, ProtocolError
from protocol.registry import REGISTRY
from protocol.results import TicketIssued

logger = logging.getLogger(__name__)

Kind = Literal["walkin", "priority", "appointment"]


class Requester(Protocol):
    """The part of ``protocol.client.RequestClient`` the kiosk uses."""

    def request(self, op: str, args: dict[str, Any] | None = None, *,
                request_id: str | None = None) -> dict[str, Any]:
        """Send one command; see ``RequestClient.request``."""


@dataclass(frozen=True)
class IssueRequest:
    """One visitor's request, made once per touch; retries reuse it whole.

    Attributes:
        kind: walkin, priority or appointment.
        service: the service id (None for an appointment: the booking names it).
        appointment: the booking code (appointment only).
        category: the priority category id (priority only, when the hall has categories).
        request_id: the wire request id, the same on every retry.
        created: monotonic time of the touch.
    """

    kind: Kind
    service: str | None = None
    appointment: str | None = None
    category: str | None = None
    request_id: str = field(default_factory=new_request_id)
    created: float = field(default_factory=time.monotonic)

    def args(self) -> dict[str, Any]:
        """The ``issue_ticket`` args."""
        args: dict[str, Any] = {"kind": self.kind}
        if self.service is not None:
            args["service"] = self.service
        if self.appointment is not None:
            args["appointment"] = self.appointment
        if self.category is not None:
            args["category"] = self.category
        return args


@dataclass(frozen=True)
class Refused:
    """The broker refused (closed_for_day, too_early, unknown_appointment, ...)."""

    request: IssueRequest
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    """The refusal's parameters (``reason`` and its facts), for the message catalogue."""


@dataclass(frozen=True)
class Unreachable:
    """No reply from the broker; ``request`` may be retried as it is."""

    request: IssueRequest


Outcome = IssuedTicket | Refused | Unreachable


class IssueFlow:
    """Ask the broker for a ticket, then print it.

    Args:
        hall: the hall config (names on the ticket).
        node: this kiosk's config (printer settings, QR template).
        client: the broker request client.
        printer: the ticket printer.
        printer_status: the last known printer status (from the poller); a known
            paper-out/offline printer is not even tried.
        on_print_fault: told the reason when a ticket could not be printed
            (wired to a health report); must not block for long.
        on_print_ok: told after a ticket was printed (clears an earlier fault).
    """

    def __init__(self, hall: Hall, node: KioskNode, client: Requester, printer: TicketPrinter,
                 *, printer_status: Callable[[], PrinterStatus] = lambda: PrinterStatus.UNKNOWN,
                 on_print_fault: Callable[[str], None] = lambda message: None,
                 on_print_ok: Callable[[], None] = lambda: None) -> None:
        self.hall = hall
        self.node = node
        self.client = client
        self.printer = printer
        self._printer_status = printer_status
        self._on_print_fault = on_print_fault
        self._on_print_ok = on_print_ok
        # Tickets print in the background: a second visitor's job waits for the first.
        self._printing = threading.Lock()

    def issue(self, request: IssueRequest) -> Outcome:
        """Run one attempt of ``request`` and print its ticket (call again with the same
        request to retry).

        Returns:
            The issued ticket (printed or not), a refusal, or ``Unreachable``.
        """
        outcome = self.ask(request)
        return self.print_issued(outcome) if isinstance(outcome, IssuedTicket) else outcome

    def ask(self, request: IssueRequest) -> Outcome:
        """Ask the broker for the ticket, print nothing: the kiosk shows the number at once
        and prints it with ``print_issued`` in the background.

        Returns:
            The issued ticket (``printing``), a refusal, or ``Unreachable``.
        """
        try:
            result = issued_result(self.client.request("issue_ticket", request.args(),
                                                       request_id=request.request_id))
        except CommandRefused as refusal:
            logger.info("ticket refused: %s %s", refusal.code, refusal.message)
            return Refused(request, refusal.code, refusal.message, refusal.params)
        except BrokerUnreachable as err:
            logger.warning("broker unreachable while issuing (request %s): %s",
                           request.request_id, err)
            return Unreachable(request)
        # From here on the ticket exists: whatever the printer does, the visitor gets it.
        return IssuedTicket.from_result(result, printed=False, printing=True)

    def print_issued(self, ticket: IssuedTicket) -> IssuedTicket:
        """Print an asked ticket (one job at a time, from any thread).

        Returns:
            ``ticket``, printed or with the reason it was not.
        """
        if ticket.result is None or not ticket.printing:
            return ticket
        with self._printing:
            problem = self._print(ticket.result)
        return dataclasses.replace(ticket, printing=False, printed=problem is None,
                                   print_problem=problem)

    def _print(self, result: TicketIssued) -> str | None:
        status = self._printer_status()
        if status.can_print is False:
            # Already reported by the status poll (kiosk.health); not a print fault
            # of its own, so the report clears as soon as paper is back.
            return _STATUS_PROBLEM[status]
        try:
            doc = ticket_doc(self.hall, self.node, result)
            data = compose_ticket(doc, self.node.printer)
            self.printer.print_bytes(data)
        except PrinterFault as err:
            problem = str(err)
            logger.error("ticket %s not printed: %s", result.ticket, problem)
            self._on_print_fault(problem)
            return problem
        except Exception as err:  # noqa: BLE001 - a layout bug must not lose the number
            problem = f"打印失败 / ticket could not be composed: {err}"
            logger.exception("ticket %s could not be composed", result.ticket)
            self._on_print_fault(problem)
            return problem
        self._on_print_ok()
        if self.node.printer.preview_dir:
            keep_preview(Path(self.node.printer.preview_dir), doc, data, self.node.printer)
        return None


def keep_preview(folder: Path, doc: TicketDoc, data: bytes, settings: KioskPrinter) -> None:
    """Save a printed ticket as ``<ticket>.png`` and ``<ticket>.bin`` in ``folder``.

    A preview that cannot be written is logged and skipped: the ticket itself
    was printed, and the visitor must not wait on a demo aid.

    Args:
        folder: the ``printer.preview_dir`` folder (created when missing).
        doc: what the ticket says.
        data: the ESC/POS bytes that were sent to the printer.
        settings: the printer table (paper width, QR mode).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{doc.ticket}.bin").write_bytes(data)
        ticket_picture(doc, settings).save(folder / f"{doc.ticket}.png")
    except Exception:  # noqa: BLE001 - disk full, bad folder, a drawing bug: all non-fatal
        logger.exception("preview of ticket %s not saved in %s", doc.ticket, folder)


_STATUS_PROBLEM = {
    PrinterStatus.PAPER_OUT: "打印机缺纸 / printer out of paper",
    PrinterStatus.OFFLINE: "打印机离线 / printer offline",
}


def issued_result(result: dict[str, Any]) -> TicketIssued:
    """An ``issue_ticket`` reply's result, parsed with the op registry's model.

    Raises:
        ProtocolError: the result does not have the op's shape (a broker bug: the
            ticket exists, but nothing trustworthy can be printed or shown).
    """
    try:
        parsed = REGISTRY["issue_ticket"].parse_result(result)
    except ValueError as err:  # pydantic's ValidationError is a ValueError
        raise ProtocolError(errors.BAD_ENVELOPE, f"the issue_ticket result has the wrong shape: "
                            f"{err}") from err
    if not isinstance(parsed, TicketIssued):
        raise ProtocolError(errors.BAD_ENVELOPE, "issue_ticket's result model is not TicketIssued")
    return parsed


def ticket_doc(hall: Hall, node: KioskNode, result: TicketIssued) -> TicketDoc:
    """What the ticket of an ``issue_ticket`` result says.

    Args:
        hall: the hall config.
        node: this kiosk's config.
        result: the broker's ``issue_ticket`` result.
    """
    service = hall.service(result.service)
    category = hall.priority_category(result.category) if result.category else None
    issued = local_time(hall, result.issued_at)
    notes: list[tuple[str, str]] = []
    if result.late:
        notes.append(("预约已过时，按普通号排队", "Late for appointment: normal queue"))
    if result.after_hours:
        notes.append(("非办公时间取号，可能无法当天办理", "Outside opening hours"))
    return TicketDoc(
        hall_zh=hall.name.zh, hall_en=hall.name.en, ticket=result.ticket,
        service_zh=service.name.zh if service else result.service,
        service_en=service.name.en if service else result.service,
        ahead=result.ahead, wait_min=result.wait_min, issued=issued,
        # The visitor's phone page when the hall has an address for it, else the template.
        qr_payload=phone_url(hall.web.public_url, result.track)
        if hall.web.public_url and result.track else
        qr_payload(node.printer.qr_template, ticket=result.ticket, service=result.service,
                   issued=issued, node=node.id),
        footer=node.printer.footer, notes=tuple(notes),
        category_zh=category.name.zh if category else "",
        category_en=category.name.en if category else "")

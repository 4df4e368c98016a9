"""The kiosk's state machine: touches and mirror updates in, the current screen out.

Plain Python, used from the UI thread only. Slow work (the broker request and
the print) goes through ``run_background``, whose completion callback must
come back on the UI thread (Kivy's ``Clock.schedule_once`` in the app, a direct
call in tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from hw.printer_status import PrinterStatus
from kiosk.issuing import IssueFlow, IssueRequest, Outcome, Refused, Unreachable
from kiosk.presenter import MAX_CODE_CHARS, MIN_CODE_CHARS, IssuedTicket, KioskPresenter, Language
from kiosk.screens import Screen
from protocol.view import PublicView, TicketingView
from runtime.messages import both, refusal_both

logger = logging.getLogger(__name__)

Runner = Callable[[Callable[[], Any], Callable[[Any], None]], None]


def run_inline(work: Callable[[], Any], done: Callable[[Any], None]) -> None:
    """Run ``work`` now and hand its outcome to ``done`` (tests, benchmarks)."""
    done(work())


class KioskController:
    """What the kiosk shows and what a touch does.

    Args:
        presenter: builds the screens.
        flow: issues tickets.
        printer_status: the last known printer status.
        now: broker time in epoch seconds (None while unknown).
        run_background: runs the issue flow off the UI thread.
        monotonic: clock for idle timeouts and pending-request age.
        on_issued: told about each ticket shown (spoken confirmation hooks in here).
        run_print: runs the print off the UI thread (default ``run_background``); the app
            starts it after the number's frame is drawn.
    """

    def __init__(self, presenter: KioskPresenter, flow: IssueFlow, *,
                 printer_status: Callable[[], PrinterStatus] = lambda: PrinterStatus.UNKNOWN,
                 now: Callable[[], float | None],
                 run_background: Runner = run_inline,
                 monotonic: Callable[[], float] = time.monotonic,
                 on_issued: Callable[[IssuedTicket], None] = lambda ticket: None,
                 run_print: Runner | None = None) -> None:
        self.presenter = presenter
        self.node = presenter.node
        self.flow = flow
        self._printer_status = printer_status
        self._now = now
        self._run = run_background
        self._run_print = run_print or run_background
        self._monotonic = monotonic
        self._on_issued = on_issued
        self.listeners: list[Callable[[Screen], None]] = []
        self.language: Language = self.node.language
        self.view: PublicView | None = None
        self.connected = False
        self.mode = "home"  # home | priority | appointment | busy | issued | notice
        self.code = ""
        self.code_message: tuple[str, str] | None = None
        self.notice_words: tuple[str, str] = ("", "")
        self.ticket: IssuedTicket | None = None
        self.priority_for: str | None = None
        """The service of the priority ticket whose category the visitor is choosing."""
        self.pending: IssueRequest | None = None
        self._last_touch = self._monotonic()

    # --- inputs ----------------------------------------------------------------------------

    def set_view(self, view: PublicView) -> None:
        """A new mirror view arrived (typed: the mirror's "model")."""
        self.view = view
        self._changed()

    def set_connected(self, connected: bool) -> None:
        """The mirror's connection flipped; a pending request is retried on reconnect."""
        self.connected = connected
        if connected and self.pending is not None and self.mode != "busy":
            if self._monotonic() - self.pending.created <= self.node.pending_retry_s:
                self._start(self.pending)
                return
            logger.warning("dropping request %s: the broker was away too long",
                           self.pending.request_id)
            self.pending = None
        self._changed()

    def press(self, action_id: str) -> None:
        """A touch on the action with this id."""
        self._last_touch = self._monotonic()
        if self.mode == "busy":
            return  # one request at a time: a second touch must not issue a second ticket
        kind, _, arg = action_id.partition(":")
        if self._blocked() and action_id not in ("retry", "cancel", "lang"):
            return
        if kind == "service" and self._is_priority_service(arg):
            self._priority(arg)
        elif kind == "service":
            self._start(IssueRequest(kind="walkin", service=arg))
        elif kind == "priority" and arg:
            self._priority(arg)
        elif kind == "category" and self.priority_for is not None:
            self._start(IssueRequest(kind="priority", service=self.priority_for, category=arg))
        elif action_id == "priority":
            if self.node.priority_service:
                self._priority(self.node.priority_service)
            else:
                self.mode = "priority"
        elif action_id == "appointment":
            self.mode, self.code, self.code_message = "appointment", "", None
        elif kind == "key":
            self._key(arg)
            return
        elif action_id == "lang":
            self.language = "en" if self.language == "zh" else "zh"
        elif action_id == "home":
            self._home()
        elif action_id == "retry" and self.pending is not None:
            self._start(self.pending)
            return
        elif action_id == "cancel":
            self.pending = None
            self._home()
        self._changed()

    def type_text(self, chars: str) -> None:
        """Keyboard input: a barcode/QR scanner types the booking code and Enter."""
        if self.mode != "appointment":
            if self.mode != "home" or self._blocked() or not self.node.appointments:
                return
            self.mode, self.code, self.code_message = "appointment", "", None
        self._last_touch = self._monotonic()
        for ch in chars:
            if ch in "\r\n":
                self._key("ok")
            elif ch.isalnum() or ch == "-":
                self._key(ch.upper() if ch.isalpha() else ch)
        self._changed()

    def tick(self) -> None:
        """Called about once a second: idle timeout back to home; clock redraw."""
        if self.mode in ("issued", "notice", "appointment", "priority"):
            if self._monotonic() - self._last_touch >= self.node.idle_timeout_s:
                self._home()
        self._changed()

    # --- output ----------------------------------------------------------------------------

    def screen(self) -> Screen:
        """The screen to show now."""
        p, lang, now = self.presenter, self.language, self._now()
        if self.mode == "busy":
            return p.busy(lang)
        if self.mode == "issued" and self.ticket is not None:
            return p.issued(self.ticket, lang, now)
        if not self.connected or self.pending is not None:
            return p.paused(lang, self.pending is not None)
        closed = self._closed()
        if closed is not None:
            return p.closed(lang, now, closed)
        if self.mode == "appointment":
            return p.appointment(self.code, lang, self.code_message, now)
        if self.mode == "priority":
            return p.priority(self.view, lang, now, self.priority_for)
        if self.mode == "notice":
            return p.notice(lang, *self.notice_words, now=now)
        status = self._printer_status()
        return p.home(self.view, lang, now, printer_out=status.can_print is False)

    # --- internals -------------------------------------------------------------------------

    def _closed(self) -> TicketingView | None:
        """The view's ticketing while the broker refuses tickets (hours and policy are
        its decision), else None."""
        ticketing = self.view.ticketing if self.view is not None else None
        return ticketing if ticketing is not None and not ticketing.open else None

    def _blocked(self) -> bool:
        return not self.connected or self.pending is not None or self._closed() is not None

    def _is_priority_service(self, service_id: str) -> bool:
        service = self.presenter.hall.service(service_id)
        return bool(service and service.priority and self.presenter.hall.priority_categories)

    def _priority(self, service_id: str) -> None:
        """A priority ticket of ``service_id``: its category first, when the hall has any."""
        if not self.presenter.hall.priority_categories:
            self._start(IssueRequest(kind="priority", service=service_id))
            return
        self.mode, self.priority_for = "priority", service_id

    def _home(self) -> None:
        self.mode, self.code, self.code_message, self.ticket = "home", "", None, None
        self.priority_for = None
        self.language = self.node.language

    def _key(self, key: str) -> None:
        if key == "del":
            self.code = self.code[:-1]
        elif key == "ok":
            if len(self.code) >= MIN_CODE_CHARS:
                self._start(IssueRequest(kind="appointment", appointment=self.code))
                return
            self.code_message = both("kiosk.code_too_short", {"min": MIN_CODE_CHARS})
        elif len(self.code) < MAX_CODE_CHARS:
            self.code += key
        self._changed()

    def _start(self, request: IssueRequest) -> None:
        self.mode = "busy"
        # The request leaves first; the "please wait" screen is built while it travels.
        self._run(lambda: self.flow.ask(request), self._finish)
        if self.mode == "busy":  # not answered inline already
            self._changed()

    def _finish(self, outcome: Outcome) -> None:
        self._last_touch = self._monotonic()
        if isinstance(outcome, IssuedTicket):
            self.pending = None
            self.ticket = outcome
            self.mode = "issued"
            self._changed()
            self._on_issued(outcome)
            # The number is on screen; the paper follows (printing never holds the screen).
            self._run_print(lambda: self.flow.print_issued(outcome), self._printed)
            return
        if isinstance(outcome, Unreachable):
            self.pending = outcome.request
            self.mode = "home"
        elif isinstance(outcome, Refused):
            self.pending = None
            words = refusal_both(outcome.code, outcome.params, hall=self.presenter.hall)
            if outcome.request.kind == "appointment" and outcome.code != "closed_for_day":
                self.mode, self.code_message = "appointment", words
                if outcome.code != "too_early":
                    self.code = ""
            else:
                self.mode, self.notice_words = "notice", words
        self._changed()

    def _printed(self, ticket: IssuedTicket) -> None:
        """The printer finished ``ticket``: a failure turns its screen into "remember it"."""
        if self.mode == "issued" and self.ticket is not None \
                and self.ticket.ticket == ticket.ticket:
            self.ticket = ticket
            self._changed()

    def _changed(self) -> None:
        if not self.listeners:
            return
        screen = self.screen()
        for listener in self.listeners:
            listener(screen)

"""Composition root of the kiosk node: config -> broker client, mirror, printer, UI.

Also renders single screens headless to PNG (``--screenshot``) from sample data.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from config.kiosk_node import KioskNode
from config.schema import Hall
from foundation.errors import CallnextError
from hw.printer import TicketPrinter, open_printer
from hw.printer_status import PrinterStatus
from kiosk.controller import KioskController
from kiosk.health import PrinterHealth
from kiosk.issuing import IssueFlow
from kiosk.presenter import IssuedTicket, KioskPresenter
from kiosk.screens import SCREENS, Screen
from protocol.view import PublicView, TicketingView
from runtime.kivy_setup import (configure_window, flush_every_frame, register_fonts,
                                 settle_after_start)
from runtime.messages import both
from runtime.node import NodeRuntime
from runtime.security import NodeSecurity

logger = logging.getLogger(__name__)


class KioskSetupError(CallnextError):
    """The kiosk cannot do what it was asked (an unknown sample screen, no screenshot)."""


class PrinterPoller:
    """Polls the printer's paper status in a thread and feeds ``PrinterHealth``.

    Args:
        printer: the printer (status calls are bounded by its timeout).
        health: where statuses go.
        interval_s: seconds between polls.
    """

    def __init__(self, printer: TicketPrinter, health: PrinterHealth, interval_s: float) -> None:
        self._printer = printer
        self._health = health
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="printer-poll", daemon=True)

    def start(self) -> None:
        """Start polling (does nothing if the interval is 0)."""
        if self._interval_s > 0:
            self._thread.start()

    def poll_once(self) -> PrinterStatus:
        """One poll: query, record, report."""
        status = self._printer.status()
        self._health.observe(status)
        return status

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - polling must survive any printer trouble
                logger.exception("printer status poll failed")
            self._stop.wait(self._interval_s)

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()


def run_kiosk(hall: Hall, node: KioskNode, security: NodeSecurity, *,
              fullscreen: bool = True) -> int:
    """Run the kiosk until its window closes.

    Raises:
        PrinterSetupError, KeysMissing: a config or hardware problem at start.
    """
    printer = open_printer(node.printer)  # a bad printer config stops the start here
    try:
        configure_kiosk_window(node.window_size, fullscreen=fullscreen)
        register_fonts()
        runtime = NodeRuntime.open(hall, node.id, security, timeout_ms=1200, retries=3)
        try:
            health = PrinterHealth(runtime.health)
            controller = kiosk_controller(hall, node, runtime, printer, health)
            poller = PrinterPoller(printer, health, node.printer.status_poll_s)
            runtime.start()
            poller.start()
            try:
                _kiosk_app(node, controller).run()
            finally:
                poller.stop()
        finally:
            runtime.close()
    finally:
        printer.close()
    return 0


def configure_kiosk_window(size: tuple[int, int], *, fullscreen: bool = False,
                           headless: bool = False) -> tuple[int, int]:
    """``configure_window`` for the kiosk: a clock that wakes when work arrives, and no
    multisampling.

    Kivy's default clock sleeps out the rest of each 1/60 s frame even when the broker's
    answer (scheduled from the request thread) is waiting: up to 16 ms on every touch before
    the number is even set. The ``interrupt`` clock is woken by that scheduling.
    Kivy's default 2x multisampling smooths nothing on the kiosk (axis-aligned rectangles and
    text already smoothed in its textures) and its buffers cost ~35 MiB at 1280x800 with a
    software renderer (GPU memory on a Pi). Call before anything imports ``kivy.clock``
    (``register_fonts`` does) and before the window opens.
    """
    configure_window(size, fullscreen=fullscreen, headless=headless)
    from kivy.config import Config

    Config.set("kivy", "kivy_clock", "interrupt")
    Config.set("graphics", "multisamples", "0")
    return size


def kiosk_controller(hall: Hall, node: KioskNode, runtime: NodeRuntime, printer: TicketPrinter,
                     health: PrinterHealth) -> KioskController:
    """The kiosk's state machine wired to the node runtime (requests, mirror, the broker's
    clock), the printer and Kivy's thread (issuing runs on a thread of its own)."""
    from kivy.clock import Clock

    # The health reporter sends from its own thread: reporting a fault never holds a visitor.
    flow = IssueFlow(hall, node, runtime.client, printer, printer_status=lambda: health.status,
                     on_print_fault=health.print_failed, on_print_ok=health.print_ok)

    controller = KioskController(KioskPresenter(hall, node), flow,
                                 printer_status=lambda: health.status, now=runtime.broker_now,
                                 run_background=run_in_thread, on_issued=_speaker(node, hall),
                                 run_print=run_after_frame)

    def on_mirror(kind: str, payload: Any) -> None:
        # The mirror's thread only schedules; the controller lives on Kivy's thread.
        if kind == "model":
            Clock.schedule_once(lambda dt: controller.set_view(payload), 0)
        elif kind == "connection":
            Clock.schedule_once(lambda dt: controller.set_connected(bool(payload)), 0)

    runtime.add_listener(on_mirror)
    return controller


def run_in_thread(work: Callable[[], Any], done: Callable[[Any], None]) -> None:
    """Run ``work`` on a thread of its own and hand its outcome to ``done`` on Kivy's thread
    (the broker request and the print never hold the screen)."""
    from kivy.clock import Clock

    def worker() -> None:
        outcome = work()
        Clock.schedule_once(lambda dt: done(outcome), 0)

    threading.Thread(target=worker, name="kiosk-work", daemon=True).start()


def run_after_frame(work: Callable[[], Any], done: Callable[[Any], None]) -> None:
    """``run_in_thread`` once the next frame is drawn: composing a ticket holds Python's
    lock for milliseconds at a time, and the number's frame must not wait for it."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda dt: run_in_thread(work, done), 0)


def _kiosk_app(node: KioskNode, controller: KioskController) -> Any:
    """The Kivy app: the kiosk's view, touches and keys to the controller, a tick a second."""
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.ui import KioskView

    class KioskApp(App):  # type: ignore[misc]
        title = f"callnext kiosk {node.id}"

        def build(self) -> KioskView:
            flush_every_frame()
            view = KioskView(controller.press)
            controller.listeners.append(view.show)
            Window.bind(on_textinput=lambda w, text: controller.type_text(text))
            Window.bind(on_key_down=lambda w, key, *a: controller.type_text("\n")
                        if key in (13, 271) else None)
            Clock.schedule_interval(lambda dt: controller.tick(), 1.0)
            Clock.schedule_once(lambda dt: view.show(controller.screen()), 0)
            # As the display does: start-up's objects out of the collector's full passes
            # (they would stall a touch's answer too), its garbage back to the system.
            Clock.schedule_once(lambda dt: settle_after_start(), 3.0)
            return view

    return KioskApp()


def _speaker(node: KioskNode, hall: Hall) -> Callable[[IssuedTicket], None]:
    """Spoken confirmation through espeak-ng and aplay (never blocks the UI), or nothing.

    Raises:
        SpeechError, AudioError: switched on but espeak-ng or aplay is missing (a
            start-up error, not a silent kiosk).
    """
    if not node.spoken_confirmation:
        return lambda ticket: None
    from hw.audio import AplayAudio
    from hw.speech import EspeakSpeech
    from kiosk.speech import TicketSpeaker

    return TicketSpeaker(EspeakSpeech(), AplayAudio(), hall).say_in_background


# --- headless screenshots ------------------------------------------------------------------------

def sample_screen(hall: Hall, node: KioskNode, name: str, language: str = "zh") -> Screen:
    """A screen filled with sample data, for screenshots and docs.

    Raises:
        KioskSetupError: unknown screen name.
    """
    from datetime import datetime

    from config.hours import next_opening

    presenter = KioskPresenter(hall, node)
    zone = hall.hours.zone()
    now = datetime(2026, 11, 25, 9, 41, tzinfo=zone).timestamp()
    view = PublicView.parse({"services": {
        service.id: {"id": service.id, "waiting": 3 + 4 * index, "open_counters": [1, 2],
                     "estimate_min": 8.0 + 9 * index, "wait_min": 8 + 9 * index}
        for index, service in enumerate(hall.services)}})
    lang: Any = language
    first = presenter.services[0] if presenter.services else hall.services[0]
    ticket = IssuedTicket(ticket=f"{first.prefix}012", service=first.id, kind="walkin", ahead=5,
                          wait_min=23, issued_at=now)
    if name == "home":
        return presenter.home(view, lang, now)
    if name == "priority":
        chosen = node.priority_service or next((s.id for s in presenter.services if s.priority),
                                               None)
        return presenter.priority(view, lang, now, chosen)
    if name == "appointment":
        # A full-length code and a long message: the layout must keep both off the keys.
        code = "HX093127"
        message = both("refusal.too_early", {"code": code, "opens": "10:30"})
        return presenter.appointment(code, lang, message, now)
    if name == "busy":
        return presenter.busy(lang)
    if name == "issued":
        return presenter.issued(ticket, lang, now)
    if name == "remember":
        return presenter.issued(IssuedTicket(**{**ticket.__dict__, "printed": False,
                                                "print_problem": "打印机缺纸"}), lang, now)
    if name == "paused":
        return presenter.paused(lang, pending=True)
    if name == "closed":
        evening = datetime(2026, 11, 25, 18, 5, tzinfo=zone).timestamp()
        opening = next_opening(hall, evening)  # sample data: what the broker would publish
        return presenter.closed(lang, evening, TicketingView(
            open=False, in_hours=False,
            opens_at=None if opening is None else opening.timestamp()))
    if name == "notice":
        return presenter.notice(lang, "预约未到签到时间，请于 09:30 后签到",
                                "Too early to check in; please check in after 09:30", now)
    raise KioskSetupError(f"unknown screen {name!r}; choose one of {', '.join(SCREENS)}")


def render_screenshot(screen: Screen, out: Path, size: tuple[int, int]) -> Path:
    """Draw ``screen`` headless and save it as PNG at ``out``.

    Kivy appends a counter to screenshot names; the file is moved to ``out``.
    """
    configure_kiosk_window(size)
    register_fonts()
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.ui import KioskView

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    taken: list[str] = []

    class Shot(App):  # type: ignore[misc]
        def build(self) -> KioskView:
            view = KioskView(lambda action_id: None)
            Clock.schedule_once(lambda dt: view.show(screen), 0.1)
            Clock.schedule_once(self._shoot, 0.6)
            return view

        def _shoot(self, dt: float) -> None:
            taken.append(Window.screenshot(name=str(out.with_suffix("")) + "-shot.png"))
            self.stop()

    Shot().run()
    if not taken or not taken[0]:
        raise KioskSetupError(f"no screenshot was taken for {out}")
    shutil.move(taken[0], out)
    return out



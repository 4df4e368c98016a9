"""The number is on screen as soon as the broker answers; the ticket prints in the background.

Issue #17: a touch took 0.66-0.85 s to show the number because the screen waited for the
printer. Here the printer is python-escpos' own ``Dummy`` behind the real ``EscposPrinter``
adapter, slowed at the hardware edge by a gate the test opens: the number must be drawn
while the printer is still busy, and the paper must follow.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

pytest.importorskip("kivy")

from escpos.printer import Dummy  # noqa: E402
from kivy.tests.common import GraphicUnitTest, UnitTestTouch  # noqa: E402
from kiosk_escpos_decoder import decode  # noqa: E402
from kiosk_support import running_broker, widget_texts  # noqa: E402

from config.load import load_hall  # noqa: E402
from hw.printer import EscposPrinter  # noqa: E402
from kiosk import issuing  # noqa: E402
from kiosk.app import run_in_thread  # noqa: E402
from kiosk.controller import KioskController  # noqa: E402
from kiosk.issuing import IssueFlow  # noqa: E402
from kiosk.presenter import KioskPresenter  # noqa: E402
from protocol.client import RequestClient  # noqa: E402
from protocol.mirror import StateMirror  # noqa: E402

WAIT_S = 10.0


class SlowDummy(Dummy):  # type: ignore[misc]
    """escpos' Dummy whose write waits for ``gate``: a printer still feeding paper."""

    gate = threading.Event()
    started = threading.Event()

    def _raw(self, msg: bytes) -> None:
        self.started.set()
        if not self.gate.wait(WAIT_S):
            raise TimeoutError("the test never let the printer finish")
        super()._raw(msg)


class KioskPrintsInBackgroundTest(GraphicUnitTest):
    """The real view, controller, issue flow and escpos adapter against a broker process."""

    def frames_until(self, condition: Any) -> bool:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if condition():
                return True
            self.advance_frames(1)
        return bool(condition())

    def test_number_is_drawn_before_the_printer_finishes(self) -> None:
        from kiosk.ui import KioskView
        from runtime.kivy_setup import register_fonts

        register_fonts()
        with contextlib.ExitStack() as stack:
            broker = stack.enter_context(
                running_broker(Path(tempfile.mkdtemp(prefix="kiosk-bg-print-"))))
            hall = load_hall(broker["config"])
            node = hall.kiosks[0]
            client = stack.enter_context(RequestClient(broker["commands"], node.id,
                                                       timeout_ms=2000, retries=2))
            devices: list[SlowDummy] = []
            printer = EscposPrinter(lambda: devices.append(SlowDummy()) or devices[-1],
                                    name="slow dummy", can_query=False)
            controller = KioskController(KioskPresenter(hall, node),
                                         IssueFlow(hall, node, client, printer),
                                         now=lambda: None, run_background=run_in_thread)
            with StateMirror(broker["commands"], broker["events"], node.id) as mirror:
                mirror.step(0.5)
                controller.set_view(mirror.model)
                controller.set_connected(mirror.connected)
            view = KioskView(controller.press)
            controller.listeners.append(view.show)
            view.show(controller.screen())
            self.render(view)
            self.advance_frames(2)
            # Where the ticket (text, QR code, escpos bytes) is composed: never Kivy's thread.
            composed_on: list[threading.Thread] = []
            compose = issuing.compose_ticket

            def spied(*args: Any, **kwargs: Any) -> bytes:
                composed_on.append(threading.current_thread())
                return compose(*args, **kwargs)

            stack.enter_context(mock.patch.object(issuing, "compose_ticket", spied))
            button = view.buttons["service:general"]
            touch = UnitTestTouch(*button.to_window(*button.center))
            touch.touch_down()
            touch.touch_up()

            assert self.frames_until(lambda: view.screen.name == "issued")
            ticket = controller.ticket
            assert ticket is not None and ticket.printing
            # Drawn while the printer is still busy with it: nothing has reached the paper.
            assert any(ticket.ticket in text for text in widget_texts(view))
            assert SlowDummy.started.wait(WAIT_S) and devices[0].output == b""
            assert not any("请记住您的号码" in text for text in widget_texts(view))

            SlowDummy.gate.set()
            assert self.frames_until(lambda: not controller.ticket.printing)
            assert controller.ticket.printed and view.screen.name == "issued"
            assert ticket.ticket in decode(devices[0].output).texts()
            assert len(composed_on) == 1 and composed_on[0] is not threading.main_thread()

    def test_clock_tick_changes_one_label_and_rebuilds_nothing(self) -> None:
        import dataclasses

        from kiosk.app import sample_screen
        from kiosk.ui import KioskView
        from runtime.kivy_setup import register_fonts

        register_fonts()
        hall = load_hall(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")
        node = hall.kiosks[0]
        home = sample_screen(hall, node, "home")
        assert home.clock
        view = KioskView(lambda action_id: None, busy_delay_s=0)
        self.render(view)
        view.show(home)
        self.advance_frames(1)
        built, buttons = view.builds, dict(view.buttons)
        view.show(home)  # the controller reports every second
        view.show(dataclasses.replace(home, clock="23:59"))
        self.advance_frames(1)
        assert view.builds == built and view.buttons == buttons
        assert view.clock_label is not None and view.clock_label.text == "23:59"
        view.show(sample_screen(hall, node, "busy"))
        assert view.builds == built + 1

    def test_next_visitors_number_reuses_the_built_screen(self) -> None:
        import dataclasses

        from kiosk.app import sample_screen
        from kiosk.presenter import IssuedTicket, KioskPresenter
        from kiosk.ui import KioskView
        from runtime.kivy_setup import register_fonts

        register_fonts()
        hall = load_hall(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")
        node = hall.kiosks[0]
        presenter = KioskPresenter(hall, node)
        first = IssuedTicket(ticket="A012", service=hall.services[0].id, kind="walkin", ahead=5,
                             wait_min=23, issued_at=1_764_000_000.0)
        view = KioskView(lambda action_id: None)
        self.render(view)
        view.show(presenter.issued(first, "zh", None))
        view.show(sample_screen(hall, node, "home"))
        self.advance_frames(1)
        built = view.builds
        second = dataclasses.replace(first, ticket="A013", ahead=6)
        view.show(presenter.issued(second, "zh", None))
        self.advance_frames(1)
        assert view.builds == built  # same shape: words changed, nothing built
        texts = widget_texts(view)
        assert any("A013" in text for text in texts) and not any("A012" in t for t in texts)
        assert any("6 人" in text for text in texts)
        assert view.screen.name == "issued" and "home" in view.buttons

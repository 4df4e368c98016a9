"""Kivy touch tests, headless: a touch issues exactly one ticket; a dead broker issues none."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("kivy")

from kivy.tests.common import GraphicUnitTest, UnitTestTouch  # noqa: E402
from kiosk_escpos_decoder import decode  # noqa: E402
from kiosk_support import dead_endpoint, running_broker, widget_texts  # noqa: E402

from config.load import load_hall  # noqa: E402
from hw.printer import MemoryPrinter  # noqa: E402
from kiosk.controller import KioskController  # noqa: E402
from kiosk.issuing import IssueFlow  # noqa: E402
from kiosk.presenter import KioskPresenter  # noqa: E402
from protocol.client import RequestClient  # noqa: E402
from protocol.mirror import StateMirror  # noqa: E402

SHOTS = Path(tempfile.gettempdir()) / "callnext-kiosk-shots"


class KioskTouchTest(GraphicUnitTest):
    """The real Kivy view, controller and issue flow, driven by simulated touches."""

    stack: contextlib.ExitStack
    broker: dict[str, Any]

    @classmethod
    def setUpClass(cls) -> None:
        cls.stack = contextlib.ExitStack()
        cls.broker = cls.stack.enter_context(
            running_broker(Path(tempfile.mkdtemp(prefix="kiosk-touch-"))))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.stack.close()

    def build(self, endpoint: str) -> tuple[Any, KioskController, MemoryPrinter, RequestClient]:
        from kiosk.ui import KioskView
        from runtime.kivy_setup import register_fonts

        register_fonts()
        hall = load_hall(self.broker["config"])
        node = hall.kiosks[0]
        client = RequestClient(endpoint, node.id, timeout_ms=300, retries=2)
        printer = MemoryPrinter()
        flow = IssueFlow(hall, node, client, printer)
        controller = KioskController(KioskPresenter(hall, node), flow, now=lambda: None)
        view = KioskView(controller.press)
        controller.listeners.append(view.show)
        self.render(view)
        self.advance_frames(2)
        return view, controller, printer, client

    def touch(self, view: Any, action_id: str) -> None:
        button = view.buttons[action_id]
        touch = UnitTestTouch(*button.to_window(*button.center))
        touch.touch_down()
        self.advance_frames(1)
        touch.touch_up()
        self.advance_frames(2)

    def shot(self, name: str) -> str:
        SHOTS.mkdir(exist_ok=True)
        return str(self.Window.screenshot(name=str(SHOTS / f"{name}.png")))

    def test_touch_issues_exactly_one_ticket_and_shows_it(self) -> None:
        view, controller, printer, client = self.build(self.broker["commands"])
        with StateMirror(self.broker["commands"], self.broker["events"], "kiosk-1") as mirror:
            mirror.step(0.5)
            assert mirror.model is not None
            controller.set_view(mirror.model)
            controller.set_connected(mirror.connected)
            before = mirror.model.services["general"].waiting
        self.advance_frames(2)
        assert view.screen.name == "home"
        self.touch(view, "service:general")
        assert view.screen.name == "issued"
        ticket = controller.ticket
        assert ticket is not None
        assert any(ticket.ticket in text for text in widget_texts(view))
        assert any("请留意叫号" in text for text in widget_texts(view))
        after = client.request("snapshot")["view"]["services"]["general"]
        assert after["waiting"] == before + 1 and after["last_issued"] == ticket.ticket
        assert len(printer.jobs) == 1 and ticket.ticket in decode(printer.jobs[0]).texts()
        self.shot("touch-issued")
        self.touch(view, "home")
        assert view.screen.name == "home"
        client.close()

    def test_broker_down_shows_paused_and_issues_nothing(self) -> None:
        view, controller, printer, client = self.build(dead_endpoint())
        controller.set_connected(True)  # the mirror has not noticed yet
        self.advance_frames(1)
        self.touch(view, "service:general")
        assert view.screen.name == "paused"
        assert controller.pending is not None
        assert any("暂停取号" in text for text in widget_texts(view))
        assert printer.jobs == [] and controller.ticket is None
        self.shot("touch-paused")
        # Once the mirror says it is gone too, touches on the paused screen do nothing.
        controller.set_connected(False)
        self.advance_frames(1)
        assert "service:general" not in view.buttons
        client.close()

"""The whole chain on loopback: kiosk touch → printed ticket → caller pin → display and voice.

One real broker process; the kiosk (Kivy view, controller, issue flow, the real
escpos ``File`` printer writing to a file), a caller node (gpiozero
``MockFactory`` pins) and a display node (state mirror, board presenter,
espeak-ng announcer playing into a recording sink) run in this process, each
with its own sockets, as the node tests run them.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import tomllib
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("kivy")

import tomli_w  # noqa: E402
from gpiozero.pins.mock import MockFactory  # noqa: E402
from kivy.tests.common import GraphicUnitTest, UnitTestTouch  # noqa: E402

from caller.run import CallerNodeRuntime  # noqa: E402
from callnext.demo import start_broker, stop_broker  # noqa: E402
from config.load import load_hall  # noqa: E402
from display.announcer import AnnouncementRenderer, Announcer  # noqa: E402
from display.app import DisplayCore  # noqa: E402
from hw.audio import RecordingAudio  # noqa: E402
from hw.printer import open_printer  # noqa: E402
from hw.speech import EspeakSpeech  # noqa: E402
from kiosk.app import kiosk_controller  # noqa: E402
from kiosk.health import PrinterHealth  # noqa: E402
from protocol.mirror import StateMirror  # noqa: E402
from runtime.blocks import display_block  # noqa: E402
from runtime.node import NodeRuntime  # noqa: E402
from tests.conftest import wait_for  # noqa: E402
from tests.kiosk.kiosk_escpos_decoder import decode  # noqa: E402 - the kiosk tests' own decoder

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"
CALL_NEXT_PIN = 17  # [[callers]].buttons.call_next in the example hall
COUNTER = 3  # serves enrol first: the touched service's ticket is its first choice


def write_hall(folder: Path) -> Path:
    """The example hall with its kiosk printing through escpos ``File`` into ``folder``."""
    data: dict[str, Any] = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["kiosks"][0]["printer"].update({"type": "file", "device": str(folder / "printer.bin"),
                                         "status_poll_s": 0.0})
    path = folder / "hall.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


class HallChainTest(GraphicUnitTest):
    """Touch, print, press, show, say: one ticket followed through every node."""

    stack: contextlib.ExitStack
    folder: Path
    endpoints: dict[str, str]

    @classmethod
    def setUpClass(cls) -> None:
        cls.stack = contextlib.ExitStack()
        cls.folder = Path(cls.stack.enter_context(
            tempfile.TemporaryDirectory(prefix="hall-chain-")))
        config = write_hall(cls.folder)
        process, cls.endpoints = start_broker(str(config), cls.folder,
                                              clock_start="2026-11-25T09:00")
        cls.stack.callback(stop_broker, process)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.stack.close()

    def test_touched_ticket_is_printed_called_shown_and_announced_at_that_counter(self) -> None:
        from kiosk.ui import KioskView
        from runtime.kivy_setup import register_fonts

        hall = load_hall(self.folder / "hall.toml")
        commands, events = self.endpoints["commands"], self.endpoints["events"]
        with contextlib.ExitStack() as stack:
            # The display node: mirror → board, calls → espeak-ng → recording sink.
            display_node = display_block(hall, "display-1")
            sink = RecordingAudio(speed=40.0)
            announcer = Announcer(AnnouncementRenderer(hall, display_node.speech,
                                                       EspeakSpeech()).render, sink)
            display_mirror = StateMirror(commands, events, display_node.id)
            display = DisplayCore(hall, display_node, display_mirror, announcer)
            announcer.start()
            stack.callback(announcer.stop)
            display_mirror.start()
            stack.callback(display_mirror.stop)

            # The caller node of the counter, on mock pins.
            factory = MockFactory()
            stack.callback(factory.reset)
            caller_node = hall.callers[0].model_copy(update={"gpio": "mock"})
            caller = CallerNodeRuntime(hall, caller_node, COUNTER, wire_node=f"caller-{COUNTER}",
                                       command_endpoint=commands, event_endpoint=events,
                                       pin_factory=factory)
            stack.callback(caller.close)
            caller.start()
            stop_ticks = threading.Event()
            ticks = threading.Thread(target=_tick, args=(caller, stop_ticks), daemon=True)
            ticks.start()
            stack.callback(ticks.join, 5)
            stack.callback(stop_ticks.set)

            # The kiosk: the real view, controller, issue flow and escpos File printer.
            register_fonts()
            kiosk_node = hall.kiosks[0]
            printer = open_printer(kiosk_node.printer)
            stack.callback(printer.close)
            # Wired as `callnext kiosk` wires it: the node runtime, Kivy's clock, a thread
            # for each issue.
            kiosk = stack.enter_context(NodeRuntime(hall, kiosk_node.id, endpoints=(commands,
                                                                                    events)))
            controller = kiosk_controller(hall, kiosk_node, kiosk, printer,
                                          PrinterHealth(kiosk.health))
            view = KioskView(controller.press)
            controller.listeners.append(view.show)
            self.render(view)
            kiosk.start()
            assert wait_for(lambda: self.frame() and controller.connected)
            assert wait_for(lambda: display_mirror.connected and caller.mirror.connected)
            # The kiosk's corner clock is the broker's (09:00 on the demo day), not this machine's.
            assert wait_for(lambda: self.frame() and view.screen.clock.startswith("09:0"))

            # 1. A visitor touches "参保登记 Enrolment" on the kiosk.
            self.touch(view, "service:enrol")
            assert wait_for(lambda: self.frame() and view.screen.name == "issued")
            # The number is shown at once; the paper follows from the background.
            assert wait_for(lambda: self.frame() and controller.ticket is not None
                            and controller.ticket.printed)
            ticket = controller.ticket.ticket

            # 2. The printer got exactly that ticket (the bytes escpos wrote to the device).
            texts = decode((self.folder / "printer.bin").read_bytes()).texts()
            assert ticket in texts and "参保登记" in texts

            # 3. The clerk of the counter presses CALL NEXT (a real edge on the mock pin).
            assert wait_for(lambda: display.view is not None
                            and display.view.services["enrol"].waiting == 1)
            pin = factory.pin(CALL_NEXT_PIN)
            pin.drive_low()
            pin.drive_high()

            # 4. The display shows that ticket at that counter and says exactly that call.
            assert wait_for(lambda: display.board().newest is not None)
            newest = display.board().newest
            assert newest is not None and (newest.ticket, newest.counter) == (ticket, COUNTER)
            tile = next(t for t in display.board().tiles if t.counter == COUNTER)
            assert tile.ticket == ticket
            assert wait_for(lambda: bool(sink.played))
            assert [p.clip.label for p in sink.played] == [f"call {ticket} -> {COUNTER}"]
            assert sink.played[0].clip.duration_s > 1.0  # real speech, not an empty clip
            assert [(s.request.ticket, s.request.counter, s.error)
                    for s in announcer.history] == [(ticket, COUNTER, None)]
            ok = [o for o in caller.caller.outcomes if o.command.op == "call_next"]
            assert [(o.status, (o.result or {}).get("ticket")) for o in ok] == [("ok", ticket)]

    def frame(self) -> bool:
        """Let Kivy run one frame (scheduled callbacks included); always true."""
        self.advance_frames(1)
        return True

    def touch(self, view: Any, action_id: str) -> None:
        button = view.buttons[action_id]
        touch = UnitTestTouch(*button.to_window(*button.center))
        touch.touch_down()
        self.advance_frames(1)
        touch.touch_up()
        self.advance_frames(2)


def _tick(runtime: CallerNodeRuntime, stop: threading.Event) -> None:
    while not stop.is_set():
        runtime.caller.tick()
        stop.wait(0.02)

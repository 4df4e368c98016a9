"""Kiosk touch -> number drawn: the real Kivy kiosk, offscreen, against a broker process.

Run by ``bench.kiosk_bench`` in a process of its own (Kivy opens one window per process):
``python -m bench.kiosk_draw CONFIG COMMANDS EVENTS SAMPLES``. Each sample presses the
first service's button as a touch would (its ``on_release``), lets Kivy's loop run, and
stops the clock when the first frame flipped after the number is on the widgets is rendered:
the number's row is read back from the framebuffer (``glReadPixels``) and must hold the
number's colour. Reading back waits for the GL driver to finish that frame (llvmpipe draws
on threads of its own after the flip), so the figure includes the drawing of the pixels,
not only the hand-over of the frame. The printer is python-escpos' ``Dummy`` behind the
real adapter (printing runs in the background, as on a kiosk). Prints one JSON line: the
latencies in seconds (``drawn_s``), for each when the broker's answer arrived (``ack_s``),
and the process's memory after the touches (``rss_kib``).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bench.kivy_floor import rss_kib

LIMIT_S = 10.0
ACCENT_MIN = (200, 160, 0)
ACCENT_MAX = (255, 255, 120)
"""RGB bounds of the number's colour (``kiosk.ui.TONES["accent"]``) read back from a frame:
the home and busy screens have no pixel of it where the number goes."""
PACE_S = 0.07
"""The broker allows a node 20 requests a second; a kiosk never comes near it."""


def _texts(widget: Any) -> list[str]:
    found = [getattr(widget, "text", "")]
    for child in widget.children:
        found += _texts(child)
    return found


def measure(config: str, commands: str, events: str, samples: int) -> dict[str, Any]:
    """Touch -> broker's answer and touch -> number drawn, ``samples`` times each (after a
    few warm-up touches)."""
    from escpos.printer import Dummy

    from config.load import load_hall
    from hw.printer import EscposPrinter
    from kiosk.app import configure_kiosk_window, run_after_frame, run_in_thread
    from kiosk.controller import KioskController
    from kiosk.issuing import IssueFlow
    from kiosk.presenter import KioskPresenter
    from protocol.client import RequestClient
    from protocol.mirror import StateMirror
    from runtime.kivy_setup import flush_every_frame, register_fonts

    hall = load_hall(config)
    node = hall.kiosks[0]
    configure_kiosk_window(node.window_size, headless=True)
    register_fonts()
    from kivy.base import EventLoop

    from kiosk.ui import KioskView

    EventLoop.ensure_window()
    flush_every_frame()
    window = EventLoop.window
    flips = [0]
    window.bind(on_flip=lambda *_: flips.__setitem__(0, flips[0] + 1))
    with RequestClient(commands, node.id, timeout_ms=2000, retries=2) as client, \
            StateMirror(commands, events, node.id) as mirror:
        mirror.step(1.0)
        controller = KioskController(
            KioskPresenter(hall, node),
            IssueFlow(hall, node, client, EscposPrinter(Dummy, name="dummy", can_query=False)),
            now=lambda: None, run_background=run_in_thread, run_print=run_after_frame)
        answered: list[float] = []
        ask = controller.flow.ask

        def timed_ask(request: Any) -> Any:
            outcome = ask(request)
            answered.append(time.perf_counter())
            return outcome

        controller.flow.ask = timed_ask  # type: ignore[method-assign]
        controller.set_view(mirror.model)
        controller.set_connected(True)
        view = KioskView(controller.press)
        controller.listeners.append(view.show)
        window.add_widget(view)
        view.show(controller.screen())
        for _ in range(5):
            EventLoop.idle()
        service = next(a for a in view.screen.actions if a.id.startswith("service:")).id
        drawn: list[float] = []
        acked: list[float] = []
        for index in range(samples + 3):
            began = time.perf_counter()
            seconds = _one_touch(view, controller, service, flips, EventLoop)
            if index >= 3:  # warm-up: the first screens load fonts and build textures
                drawn.append(seconds)
                acked.append(answered[-1] - began)
        return {"drawn_s": drawn, "ack_s": acked, "rss_kib": rss_kib()}


def _one_touch(view: Any, controller: Any, service: str, flips: list[int],
               loop: Any) -> float:
    """One touch on ``service``; seconds until a frame with the number was rendered."""
    began = time.perf_counter()
    view.buttons[service].dispatch("on_release")
    deadline = began + LIMIT_S
    shown = False
    while time.perf_counter() < deadline:
        before = flips[0]
        # One pass of Kivy's loop: clock callbacks (the broker's answer lands here), layout,
        # then the frame; a number shown in this pass is in this pass's frame.
        loop.idle()
        ticket = controller.ticket
        shown = shown or (ticket is not None and view.screen.name in ("issued", "remember")
                          and any(ticket.ticket in t for t in _texts(view)))
        if shown and flips[0] > before and number_rendered(view):
            drawn = time.perf_counter() - began
            break
    else:
        raise RuntimeError("the kiosk never drew the number")
    while controller.ticket is not None and controller.ticket.printing:
        loop.idle()  # the paper follows; the next visitor's touch comes after it
    controller.press("home")
    loop.idle()
    time.sleep(max(0.0, PACE_S - (time.perf_counter() - began)))
    return drawn


def number_rendered(view: Any) -> bool:
    """Whether the last frame shows the number: its label's middle row, read back from the
    framebuffer, holds the number's colour. ``glReadPixels`` returns only once the driver
    has drawn every command before it, so this also waits for the frame to be rendered."""
    from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels

    label = next((w for w in view.walk() if getattr(getattr(w, "kiosk_text", None), "size",
                                                     None) == "huge"), None)
    if label is None:
        return False
    x, y = (int(v) for v in label.to_window(label.x, label.center_y))
    width = max(1, min(int(label.width), int(view.get_root_window().width) - x))
    row = bytes(glReadPixels(x, y, width, 1, GL_RGBA, GL_UNSIGNED_BYTE))
    return any(all(low <= value <= high for low, value, high
                   in zip(ACCENT_MIN, row[i:i + 3], ACCENT_MAX))
               for i in range(0, len(row) - 3, 4))


def main() -> None:
    """Measure and print the latencies as JSON."""
    config, commands, events, samples = sys.argv[1:5]
    print(json.dumps(measure(config, commands, events, int(samples))))


if __name__ == "__main__":
    main()

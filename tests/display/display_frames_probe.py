"""Run in a fresh process by ``test_display_frames``: the real board on Kivy's real clock,
offscreen; prints what was scheduled and what was drawn in each phase as one JSON object.

Usage: python display_frames_probe.py TICKER_FPS
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from typing import Any

from display.presenter import Board, BoardPresenter
from display.ui import BoardView, configure_display_window
from runtime.kivy_setup import register_fonts
from tests.display.display_fixtures import named_hall, view

PHASE_S = 1.2


def main() -> None:
    fps = float(sys.argv[1])
    hall = named_hall()
    node = hall.displays[0].model_copy(update={"ticker_fps": fps, "flash_seconds": 0.0})
    width, height = configure_display_window(node, (640, 360), headless=True)
    register_fonts()
    from kivy.base import EventLoop
    from kivy.clock import Clock

    from display.frames import BoardFrames

    board = BoardPresenter(hall, node).present(view([("A001", 1, 1.0, False)]), True,
                                               1_764_000_000.0, 0.0)
    shown: dict[str, Board] = {"board": dataclasses.replace(board, ticker="投诉电话 12345")}
    EventLoop.ensure_window()
    window = EventLoop.window
    board_view = BoardView(width, height, node)
    window.add_widget(board_view.root)
    board_view.root.size = window.size
    draws = [0]
    window.bind(on_draw=lambda *_: draws.__setitem__(0, draws[0] + 1))
    frames = BoardFrames(board_view, lambda: shown["board"], Clock, fps)
    frames.start()

    def phase(**change: Any) -> dict[str, Any]:
        shown["board"] = dataclasses.replace(shown["board"], **change)
        frames.changed()
        for _ in range(3):  # the change is drawn; counting starts after it
            EventLoop.idle()
        draws[0], renders, ticker_x = 0, board_view.cache.renders, board_view.labels["ticker"].x
        deadline = time.monotonic() + PHASE_S
        while time.monotonic() < deadline:
            EventLoop.idle()
        # Every periodic callback but Kivy's own (its texture cache purges once a second).
        intervals = sorted(round(event.timeout, 4) for event in Clock.get_events()
                           if event.timeout > 0 and not getattr(
                               event.get_callback(), "__module__", "").startswith("kivy."))
        return {"running": frames.running, "intervals": intervals, "draws": draws[0],
                "board_renders": board_view.cache.renders - renders,
                "ticker_moved": board_view.labels["ticker"].x != ticker_x,
                "panel": list(board_view.newest_panel.panel_colour.rgba)}

    result = {"ticker": phase(), "quiet": phase(ticker=""),
              "flashing": phase(flashing=True), "after_flash": phase(flashing=False)}
    frames.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()

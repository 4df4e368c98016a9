"""Run in a fresh process by the Kivy tests: render real widgets offscreen, print their texts.

Usage: python display_render_probe.py STATE.json OUT.png WIDTHxHEIGHT ORIENTATION [zone,...]
       [staff_alerts]
Prints one JSON object: every label's text and the board's flags.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from config.display_node import DisplayNode
from config.load import load_hall
from display.cli import load_state
from display.presenter import BoardPresenter, saved_view
from display.ui import BoardView, configure_display_window, render_png
from runtime.kivy_setup import register_fonts

CONFIG = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"


def main() -> None:
    state_path, out, size, orientation = sys.argv[1:5]
    zone = [int(n) for n in sys.argv[5].split(",")] if len(sys.argv) > 5 else []
    hall = load_hall(str(CONFIG))
    staff_alerts = len(sys.argv) > 6 and sys.argv[6] == "staff_alerts"
    node = DisplayNode(id="probe", orientation=orientation, counters=tuple(zone),
                       staff_alerts=staff_alerts)
    width, height = (int(n) for n in size.split("x"))
    configure_display_window(node, (width, height), headless=True)
    register_fonts()
    state = load_state(state_path)
    board = BoardPresenter(hall, node).present(saved_view(state["view"]), state.get("connected", True),
                                               state["now"], time.monotonic())
    view = BoardView(width, height, node)
    view.show(board)
    render_png(view, Path(out))
    from kivy.core.window import Window

    print(json.dumps({"texts": view.texts, "flashing": board.flashing,
                      "window": list(Window.size), "stale": board.stale,
                      "faces": font_faces(Window)}, ensure_ascii=False))


def font_faces(window: Any) -> list[list[Any]]:
    """Every (font size, bold) a label with text draws in: each opens a font face of its own."""
    faces, stack = set(), list(window.children)
    while stack:
        widget = stack.pop()
        stack.extend(widget.children)
        if getattr(widget, "text", "") and hasattr(widget, "font_size"):
            faces.add((round(float(widget.font_size), 2), bool(widget.bold)))
    return [list(face) for face in sorted(faces)]


if __name__ == "__main__":
    main()

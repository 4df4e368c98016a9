"""What an idle display redraws: the real board on Kivy's clock, offscreen, in a fresh process.

Issue #17: the display used a whole core while nothing changed on the board. Now the clock
refreshes once a second, the notices line scrolls at ``ticker_fps``, the flash runs only
while a call flashes, and the board itself is drawn again only when something on it changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from config.display_node import DisplayNode
from display.frames import BoardFrames

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).resolve().parent / "display_frames_probe.py"


@pytest.fixture(scope="module")
def phases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
           "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1", "PYTHONPATH": str(ROOT),
           "KIVY_HOME": str(tmp_path_factory.mktemp("kivy"))}
    done = subprocess.run([sys.executable, str(PROBE), "20"], capture_output=True, text=True,
                          timeout=90, env=env, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_idle_board_with_a_notice_schedules_only_the_clock_and_the_ticker(
        phases: dict[str, Any]) -> None:
    idle = phases["ticker"]
    assert idle["running"] == {"clock": True, "flash": False, "ticker": True}
    assert idle["intervals"] == [0.05, 1.0]  # 20 fps ticker, the clock once a second
    assert idle["ticker_moved"] and idle["draws"] > 0
    # The scrolling line redraws the window, never the board behind it.
    assert idle["board_renders"] == 0


def test_idle_board_without_a_notice_draws_nothing(phases: dict[str, Any]) -> None:
    quiet = phases["quiet"]
    assert quiet["running"] == {"clock": True, "flash": False, "ticker": False}
    assert quiet["intervals"] == [1.0]
    assert quiet["draws"] == 0 and quiet["board_renders"] == 0


def test_flash_runs_only_while_a_call_flashes(phases: dict[str, Any]) -> None:
    flashing, after = phases["flashing"], phases["after_flash"]
    assert flashing["running"]["flash"] and 0.5 in flashing["intervals"]
    assert flashing["board_renders"] >= 2  # the panel toggled at least twice
    assert not after["running"]["flash"] and 0.5 not in after["intervals"]
    assert after["board_renders"] == 0
    assert after["panel"][:3] != [0.85, 0.33, 0.05]  # left in its resting colour


class _Clock:
    """Kivy's Clock interface, recording intervals (no window needed)."""

    def __init__(self) -> None:
        self.intervals: list[float] = []

    def schedule_interval(self, callback: Any, interval: float) -> Any:
        self.intervals.append(interval)
        clock = self

        class Event:
            def cancel(self) -> None:
                clock.intervals.remove(interval)

        return Event()

    def create_trigger(self, callback: Any) -> Any:
        return lambda: callback(0)


def test_ticker_rate_comes_from_the_node_setting() -> None:
    assert DisplayNode(id="d").ticker_fps <= 30
    with pytest.raises(ValueError):
        DisplayNode(id="d", ticker_fps=120)
    clock = _Clock()

    class Board:
        flashing, ticker = False, "notice"

    class View:
        def show(self, board: Any) -> None:
            self.board = board

        def tick_ticker(self, dt: float) -> None:
            """Not reached: the fake clock never fires."""

    frames = BoardFrames(View(), lambda: Board(), clock, 10.0)
    frames.start()
    assert sorted(clock.intervals) == [0.1, 1.0]
    frames.stop()
    assert clock.intervals == []


def test_software_renderer_scrolls_at_its_own_lower_rate() -> None:
    from display.frames import ticker_rate

    node = DisplayNode(id="d", ticker_fps=25, software_ticker_fps=5)
    assert ticker_rate(node, software=False) == 25
    assert ticker_rate(node, software=True) == 5

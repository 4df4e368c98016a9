"""What makes the display redraw, and when: nothing runs that has nothing to show.

* the board is refreshed when the mirror says it may have changed, and once a second for the
  clock (a label whose text did not change does not redraw);
* the flash toggles twice a second only while a call flashes;
* the notices line scrolls at ``ticker_fps`` only while there is a notice.

Every other frame of an idle board is skipped by Kivy: it draws only when an instruction
changed. Runs on Kivy's thread; ``clock`` is Kivy's ``Clock`` (or anything with its
``schedule_interval``/``create_trigger``).
"""

from __future__ import annotations

from typing import Any, Callable

from config.display_node import DisplayNode
from display.presenter import Board

FLASH_INTERVAL_S = 0.5
CLOCK_INTERVAL_S = 1.0


def ticker_rate(node: DisplayNode, software: bool) -> float:
    """Frames a second of the notices line: ``software_ticker_fps`` when the CPU draws."""
    return node.software_ticker_fps if software else node.ticker_fps


class BoardFrames:
    """Schedules the display's redraws on a Kivy clock.

    Args:
        view: the ``BoardView`` (its ``show``, ``tick_flash`` and ``tick_ticker``).
        board: the board to show now (``DisplayCore.board``).
        clock: Kivy's ``Clock``.
        ticker_fps: frames a second of the notices line.
    """

    def __init__(self, view: Any, board: Callable[[], Board], clock: Any,
                 ticker_fps: float) -> None:
        self.view = view
        self._board = board
        self._clock = clock
        self._ticker_s = 1.0 / ticker_fps
        self._flash: Any = None
        self._ticker: Any = None
        self._second: Any = None
        self.changed: Callable[[], None] = lambda: None
        """Call from any thread when the board may have changed (a Kivy trigger)."""

    def start(self) -> None:
        """Show the board now and start the clock's once-a-second refresh."""
        self.changed = self._clock.create_trigger(lambda dt: self.refresh())
        self._second = self._clock.schedule_interval(lambda dt: self.refresh(),
                                                     CLOCK_INTERVAL_S)
        self.refresh()

    def stop(self) -> None:
        """Cancel every scheduled redraw."""
        for event in (self._second, self._flash, self._ticker):
            if event is not None:
                event.cancel()
        self._second = self._flash = self._ticker = None

    def refresh(self) -> None:
        """Copy the current board onto the widgets; start or stop the flash and the ticker."""
        board = self._board()
        self.view.show(board)
        self._flash = self._keep(self._flash, board.flashing, FLASH_INTERVAL_S,
                                 lambda dt: self.view.tick_flash())
        self._ticker = self._keep(self._ticker, bool(board.ticker), self._ticker_s,
                                  self.view.tick_ticker)

    @property
    def running(self) -> dict[str, bool]:
        """Which periodic redraws are scheduled (for tests and the bench)."""
        return {"clock": self._second is not None, "flash": self._flash is not None,
                "ticker": self._ticker is not None}

    def _keep(self, event: Any, wanted: bool, interval_s: float,
              callback: Callable[[float], Any]) -> Any:
        if wanted and event is None:
            return self._clock.schedule_interval(callback, interval_s)
        if not wanted and event is not None:
            event.cancel()
            return None
        return event

"""The floor of the node memory figures: a bare Kivy app with one label, nothing of ours.

Run by ``bench.rss_bench`` in a process of its own while the hall demo runs, with the same
window size and SDL offscreen: ``python -m bench.kivy_floor WIDTH HEIGHT SECONDS``. After
``SECONDS`` of its main loop it prints its VmRSS in KiB and exits.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def rss_kib() -> int:
    """This process's VmRSS in KiB (0 where /proc has none)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    """Open the window, show a label, report the memory after a while, quit."""
    width, height, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "width", width)
    Config.set("graphics", "height", height)
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.label import Label

    class Floor(App):  # type: ignore[misc]
        def build(self) -> Any:
            Clock.schedule_once(self._report, seconds)
            return Label(text="callnext")

        def _report(self, dt: float) -> None:
            print(f"rss_kib {rss_kib()}", flush=True)
            self.stop()

    Floor().run()


if __name__ == "__main__":
    main()

"""Smoke test of the node memory/CPU machinery: the bare-Kivy floor and /proc CPU sampling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.rss_bench import cpu_percent, floor_rss_kib


def test_cpu_percent_tells_a_busy_process_from_a_sleeping_one() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 5\n"
                             "while time.time() < end: pass"])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        found = cpu_percent({"busy": busy.pid, "idle": idle.pid}, 1.0)
    finally:
        busy.kill()
        idle.kill()
        busy.wait(5)
        idle.wait(5)
    assert found["idle"] is not None and found["idle"] < 5.0
    assert found["busy"] is not None and found["busy"] > found["idle"] + 10.0
    assert cpu_percent({"gone": 2**22 + 7}, 0.01) == {"gone": None}


def test_bare_kivy_floor_reports_its_memory(tmp_path: Path) -> None:
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
           "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1", "KIVY_HOME": str(tmp_path)}
    rss = floor_rss_kib(env, (320, 240))
    # A window, GL and Kivy: tens of MiB at least, never a parse failure.
    assert rss is not None and rss > 30 * 1024

"""The windowed demo places its windows side by side (the kiosk once covered the display)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from callnext.hall_demo import DISPLAY_WINDOW, KIOSK_WINDOW, demo_hall, window_env

CONFIG = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"


def test_the_windows_do_not_overlap_and_fit_a_1920_wide_screen() -> None:
    (dl, dt), (dw, dh) = DISPLAY_WINDOW
    (kl, kt), (kw, kh) = KIOSK_WINDOW
    apart = kl >= dl + dw or dl >= kl + kw or kt >= dt + dh or dt >= kt + kh
    assert apart and max(dl + dw, kl + kw) <= 1920 and max(dt + dh, kt + kh) <= 1080


def test_the_demo_hall_gives_the_windows_those_sizes_and_the_console_a_port(
        tmp_path: Path) -> None:
    path = demo_hall(CONFIG, tmp_path, command_port=7001, event_port=7002, speakers=False,
                     web_port=7003)
    hall = tomllib.loads(path.read_text(encoding="utf-8"))
    assert tuple(hall["displays"][0]["resolution"]) == DISPLAY_WINDOW[1]
    assert tuple(hall["kiosks"][0]["window_size"]) == KIOSK_WINDOW[1]
    assert (hall["web"]["bind"], hall["web"]["port"]) == ("127.0.0.1", 7003)


def test_kivy_in_a_node_process_takes_the_position_from_the_environment(tmp_path: Path) -> None:
    env = {**os.environ, **window_env(KIOSK_WINDOW), "KIVY_NO_ARGS": "1",
           "KIVY_HOME": str(tmp_path), "KIVY_NO_FILELOG": "1"}
    probe = ("from kivy.config import Config; "
             "print(Config.get('graphics', 'position'), Config.get('graphics', 'left'), "
             "Config.get('graphics', 'top'))")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.split()[-3:] == ["custom", str(KIOSK_WINDOW[0][0]),
                                        str(KIOSK_WINDOW[0][1])], done.stderr

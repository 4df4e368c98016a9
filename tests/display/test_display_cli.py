"""The display's subcommands, run as a staff member would run them."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "config" / "hall.example.toml")


def callnext(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_CONSOLELOG": "1"}
    return subprocess.run([sys.executable, "-m", "callnext", "--log-level", "WARNING", *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=env,
                          check=False)


def duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def test_announce_renders_the_exact_announcement_to_wav(tmp_path: Path) -> None:
    both, zh = tmp_path / "both.wav", tmp_path / "zh.wav"
    done = callnext("announce", "--config", CONFIG, "--node", "display-1", "--number", "A012",
                    "--counter", "3", "--out", str(both))
    assert done.returncode == 0, done.stderr
    assert "zh [clips]: 请 A 零 一 二 号到 三 号窗口 办理" in done.stdout
    assert "en [clips]: Number A 0 1 2, please go to Counter 3" in done.stdout
    assert callnext("announce", "--config", CONFIG, "--node", "display-1", "--number", "A012",
                    "--counter", "3", "--lang", "zh", "--out", str(zh)).returncode == 0
    assert 4.0 < duration(zh) < duration(both) < 15.0
    slow = tmp_path / "slow.wav"
    assert callnext("announce", "--config", CONFIG, "--node", "display-2f", "--number", "A012",
                    "--counter", "5", "--out", str(slow)).returncode == 0
    assert duration(slow) > duration(both)


def test_announce_refuses_an_unknown_counter_and_display(tmp_path: Path) -> None:
    done = callnext("announce", "--config", CONFIG, "--node", "display-1", "--number", "A012",
                    "--counter", "42", "--out", str(tmp_path / "x.wav"))
    assert done.returncode == 2 and "no counter 42" in done.stderr
    done = callnext("display", "--config", CONFIG, "--node", "lobby",
                    "--screenshot", str(tmp_path / "x.png"))
    assert done.returncode == 2 and "display-1, display-2f" in done.stderr


def test_screenshot_of_a_configured_portrait_zone_display(tmp_path: Path) -> None:
    out = tmp_path / "zone.png"
    done = callnext("display", "--config", CONFIG, "--node", "display-2f", "--screenshot",
                    str(out), "--state", str(ROOT / "docs" / "examples" / "display-state.json"))
    assert done.returncode == 0, done.stderr[-2000:]
    with Image.open(out) as image:
        assert image.size == (1080, 1920)

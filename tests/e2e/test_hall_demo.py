"""``callnext demo --windowed``: every node comes up (offscreen), and Ctrl-C leaves nothing.

The demo is started as a user would start it, in its own process; the windows
render through SDL's offscreen driver. The test waits until the display, the
kiosk and the staff console have each synchronised with the broker over CURVE,
makes one call through the console as the demo clerk the demo prints, hears it (a WAV file, or aplay where the
machine has a sound card), then sends SIGINT and checks that the demo and
every process it started are gone.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from protocol.client import RequestClient
from protocol.security import client_socket_setup
from tests.conftest import wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "config" / "hall.example.toml")
NODES = ("display", "kiosk", "web")


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] not in ("Z", "X")


def descendants(root: int) -> set[int]:
    """Every process below ``root``, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def synchronised(log: Path) -> bool:
    return log.is_file() and "state mirror synchronised" in log.read_text(errors="replace")


def test_windowed_demo_runs_every_node_and_ctrl_c_leaves_no_process(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
           "KIVY_NO_FILELOG": "1", "KIVY_HOME": str(tmp_path / "kivy")}
    env.pop("DISPLAY", None)
    demo = subprocess.Popen([sys.executable, "-m", "callnext", "--log-level", "WARNING", "demo",
                             "--windowed", "--config", CONFIG, "--out", str(out)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    pids: dict[str, int] = {}
    seen: set[int] = set()
    lines: list[str] = []
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            lines.append(line)
            if "running (" in line:
                pids = {name: int(pid) for name, pid in re.findall(r"(\w+) (\d+)", line)}
                break
        assert set(pids) == {"broker", *NODES}, "".join(lines)
        assert wait_for(lambda: all(synchronised(out / "logs" / f"{n}.log") for n in NODES), 30.0), \
            {n: (out / "logs" / f"{n}.log").read_text(errors="replace")[-800:] for n in NODES}

        # One call from the console's counter page API, as the printed demo clerk, reaches
        # the display process's voice.
        printed = "".join(lines)  # the console's lines come before "running ("
        url = re.search(r"staff console / 工作人员控制台 (http://\S+/)", printed)
        clerk = re.search(r"clerks / 窗口人员 (\d+) / PIN (\d+)", printed)
        assert url and clerk and "callnext status --config" in printed, printed
        hall = tomllib.loads((out / "hall.toml").read_text(encoding="utf-8"))
        endpoint = f"tcp://127.0.0.1:{hall['broker']['command_port']}"
        with RequestClient(endpoint, "admin", timeout_ms=2000, retries=2,
                           socket_setup=client_socket_setup(out / "keys", "admin")) as admin:
            ticket = admin.request("issue_ticket", {"service": "general"})["ticket"]
        with httpx.Client(base_url=url.group(1), timeout=10) as console:
            login = console.post("api/login", json={"staff": clerk.group(1),
                                                    "pin": clerk.group(2), "counter": 1})
            assert login.status_code == 200, login.text
            called = console.post("api/counters/1/call_next", json={},
                                  headers={"X-CSRF-Token": login.json()["csrf"]})
            assert called.json()["result"]["ticket"] == ticket
        audio = hall["displays"][0]["speech"]["audio"]
        if audio["backend"] == "wav_dir":
            assert wait_for(lambda: any(Path(audio["wav_dir"]).glob("*.wav")), 30.0)
        seen = descendants(demo.pid)
        assert set(pids.values()) <= seen
        assert all(alive(pid) for pid in pids.values())

        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=40)
        assert demo.returncode == 0, rest
        assert "stopped" in rest
        assert wait_for(lambda: not any(alive(pid) for pid in seen), limit_s=5.0), \
            [pid for pid in seen if alive(pid)]
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(timeout=10)
        for pid in seen | set(pids.values()):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_demo_mode_follows_the_screen_and_says_why(tmp_path: Path) -> None:
    from callnext.demo import choose_mode, screen_available

    no_pi = tmp_path / "model"
    assert screen_available({"DISPLAY": ":0"}, no_pi) == "DISPLAY=:0"
    assert screen_available({"WAYLAND_DISPLAY": "wayland-0"}, no_pi) == "WAYLAND_DISPLAY=wayland-0"
    assert screen_available({}, no_pi) is None
    pi, dri = tmp_path / "pi-model", tmp_path / "dri"
    pi.write_text("Raspberry Pi 5 Model B Rev 1.0\x00")
    dri.mkdir()
    assert screen_available({}, pi, dri) is None  # a Pi without a GPU device: no screen
    (dri / "card1").touch()
    assert screen_available({}, pi, dri) == "Raspberry Pi console (KMS/DRM)"

    windowed, message = choose_mode(False, environ={})
    assert not windowed and "no screen found" in message and "未检测到显示器" in message
    assert choose_mode(False, environ={"DISPLAY": ":0"})[0]
    assert not choose_mode(True, environ={"DISPLAY": ":0"})[0]
    assert choose_mode(False, windowed=True, environ={})[0]

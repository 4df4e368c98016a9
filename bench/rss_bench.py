"""Memory and idle CPU of every node: the whole hall demo in windows (offscreen), read from /proc.

The demo starts the real broker, display, kiosk and staff web console as separate
processes, exactly as on a hall's Pis; once all three nodes have synchronised
with the broker and one call has gone through, each process's CPU is read over an
idle window and then its resident memory; a bare Kivy label app started meanwhile gives
the floor the Kivy nodes are compared with.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

from protocol.client import RequestClient
from protocol.security import client_socket_setup

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "hall.example.toml"
NODES = ("display", "kiosk")
"""The nodes whose logs say when their state mirror is synchronised (the demo's Kivy windows)."""
READY_S = 60.0
KIVY_NODES = NODES
"""The processes with a Kivy window: compared with the bare-Kivy floor."""
FLASH_S = 8.0
"""The example hall's display flash_seconds (the default)."""


def _kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _wait(condition: Any, limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return bool(condition())


def _ticks(pid: int) -> int | None:
    """CPU time of a process so far (user + system), in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def cpu_percent(pids: dict[str, int], window_s: float) -> dict[str, float | None]:
    """Each process's CPU over ``window_s`` seconds, in % of one core (/proc/<pid>/stat)."""
    hz = os.sysconf("SC_CLK_TCK")
    before = {name: _ticks(pid) for name, pid in pids.items()}
    began = time.monotonic()
    time.sleep(window_s)
    elapsed = time.monotonic() - began
    after = {name: _ticks(pid) for name, pid in pids.items()}
    result: dict[str, float | None] = {}
    for name in pids:
        first, last = before[name], after[name]
        result[name] = (None if first is None or last is None
                        else round(100.0 * (last - first) / hz / elapsed, 1))
    return result


def floor_rss_kib(env: dict[str, str], size: tuple[int, int]) -> int | None:
    """VmRSS of a bare Kivy label app (``bench.kivy_floor``) in the same conditions."""
    done = subprocess.run([sys.executable, "-m", "bench.kivy_floor", str(size[0]), str(size[1]),
                           "4"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    found = re.search(r"rss_kib (\d+)", done.stdout)
    return int(found.group(1)) if found else None


def _start_demo(out: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], dict[str, int]]:
    demo = subprocess.Popen([sys.executable, "-m", "callnext", "--log-level", "WARNING", "demo",
                             "--windowed", "--config", str(CONFIG), "--out", str(out)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    pids: dict[str, int] = {}
    if demo.stdout is None:  # pragma: no cover - PIPE always gives a stream
        raise RuntimeError("the demo's output could not be read")
    for line in demo.stdout:
        if "running (" in line:
            pids = {name: int(pid) for name, pid in re.findall(r"(\w+) (\d+)", line)}
            break
    return demo, pids


def measure(work: Path, window_s: float = 60.0) -> dict[str, Any]:
    """Run the windowed demo offscreen; each process's VmRSS and VmHWM (KiB) and CPU over
    ``window_s`` idle seconds (the display's notices line scrolling), beside the bare-Kivy
    floor measured meanwhile."""
    out = work / "demo"
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
           "KIVY_NO_FILELOG": "1", "KIVY_HOME": str(work / "kivy")}
    env.pop("DISPLAY", None)
    demo, pids = _start_demo(out, env)
    try:
        logs = out / "logs"
        _wait(lambda: all((logs / f"{n}.log").is_file() and "state mirror synchronised" in
                          (logs / f"{n}.log").read_text(errors="replace") for n in NODES),
              READY_S)
        hall = tomllib.loads((out / "hall.toml").read_text(encoding="utf-8"))
        endpoint = f"tcp://127.0.0.1:{hall['broker']['command_port']}"
        with RequestClient(endpoint, "admin", timeout_ms=3000, retries=2,
                           socket_setup=client_socket_setup(out / "keys", "admin")) as admin:
            admin.request("issue_ticket", {"service": "general"})
            admin.request("call_next", {"counter": 1})
        # The call is spoken and its flash ends: from here on the board is idle.
        time.sleep(FLASH_S + 1.0)
        cpu = cpu_percent(pids, window_s)
        memory = {name: {"rss_kib": _kib(pid, "VmRSS"), "hwm_kib": _kib(pid, "VmHWM")}
                  for name, pid in pids.items()}
        size = tuple(hall["displays"][0].get("resolution", (1920, 1080)))
        return {"memory": memory, "cpu": cpu, "window_s": window_s,
                "floor_kib": floor_rss_kib(env, (int(size[0]), int(size[1])))}
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=40)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait(timeout=10)


def run(quick: bool) -> list[dict[str, Any]]:
    """Figure rows: resident memory of each process beside the bare-Kivy floor, and idle CPU."""
    with tempfile.TemporaryDirectory(prefix="callnext-rss-") as tmp:
        found = measure(Path(tmp), window_s=5.0 if quick else 60.0)
    floor = (found["floor_kib"] or 0) / 1024
    rows = [{"figure": "RSS bare Kivy label app (floor)", "value": round(floor, 1),
             "unit": "MiB", "how": "VmRSS of a Kivy app showing one label (bench.kivy_floor), "
                                   "SDL offscreen at the demo display's size, during the run"}]
    for name, memory in sorted(found["memory"].items()):
        rss, hwm = (memory["rss_kib"] or 0) / 1024, (memory["hwm_kib"] or 0) / 1024
        rows.append({"figure": f"RSS {name}", "value": round(rss, 1), "unit": "MiB",
                     "how": f"VmRSS of the {name} process of `callnext demo --windowed` (SDL "
                            f"offscreen) after sync, one spoken call and {found['window_s']:.0f}"
                            f" s idle; peak {hwm:.1f} MiB"
                            + (f"; floor {rss - floor:+.1f} MiB" if name in KIVY_NODES
                               else "")})
    for name, percent in sorted(found["cpu"].items()):
        rows.append({"figure": f"CPU {name} idle", "value": percent, "unit": "%",
                     "how": f"% of one core over {found['window_s']:.0f} s "
                            "(/proc/<pid>/stat), nothing happening in the hall"
                            + ("; the notices line scrolling" if name == "display" else "")})
    return rows

"""Memory of every node: the whole hall demo in windows (offscreen), then VmRSS of each process.

The demo starts the real broker, display, kiosk and caller panel as separate
processes, exactly as on a hall's Pis; once all three nodes have synchronised
with the broker and one call has gone through, each process's resident memory
is read from /proc.
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
NODES = ("display", "kiosk", "callers")
READY_S = 60.0


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


def measure(work: Path) -> dict[str, dict[str, int | None]]:
    """Run the windowed demo offscreen and read each process's VmRSS and VmHWM (KiB)."""
    out = work / "demo"
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
           "KIVY_NO_FILELOG": "1", "KIVY_HOME": str(work / "kivy")}
    env.pop("DISPLAY", None)
    demo = subprocess.Popen([sys.executable, "-m", "callnext", "--log-level", "WARNING", "demo",
                             "--windowed", "--config", str(CONFIG), "--out", str(out)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        pids: dict[str, int] = {}
        if demo.stdout is None:  # pragma: no cover - PIPE always gives a stream
            raise RuntimeError("the demo's output could not be read")
        for line in demo.stdout:
            if "running (" in line:
                pids = {name: int(pid) for name, pid in re.findall(r"(\w+) (\d+)", line)}
                break
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
        time.sleep(3.0)  # let the display speak and every window redraw
        return {name: {"rss_kib": _kib(pid, "VmRSS"), "hwm_kib": _kib(pid, "VmHWM")}
                for name, pid in pids.items()}
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=40)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait(timeout=10)


def run(quick: bool) -> list[dict[str, Any]]:
    """Figure rows: resident memory of the broker and of each node process."""
    with tempfile.TemporaryDirectory(prefix="callnext-rss-") as tmp:
        found = measure(Path(tmp))
    rows = []
    for name, memory in sorted(found.items()):
        rss, hwm = memory["rss_kib"], memory["hwm_kib"]
        rows.append({"figure": f"RSS {name}", "value": round((rss or 0) / 1024, 1), "unit": "MiB",
                     "how": f"VmRSS of the {name} process of `callnext demo --windowed` (SDL "
                            f"offscreen) after sync and one spoken call; peak "
                            f"{(hwm or 0) / 1024:.1f} MiB"})
    return rows
